package subscriptions

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/clock"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/validate"
)

// Subscription add-ons are add-ons bought for one subscription (reference
// §2.12, docs/changes.md): pending (or initiated while their invoice is
// unpaid) until their activation trigger fires, then active for their own
// validity, which runs apart from the subscription's periods, and ended
// when it runs out, when they are canceled, or when the subscription ends.

// Prefix of subscription add-on ids.
const AddonPrefix = "sad"

// Statuses of a subscription add-on.
const (
	AddonPending   = "pending"
	AddonInitiated = "initiated"
	AddonActive    = "active"
	AddonEnded     = "ended"
)

// AddonStatuses are the values of the status filter.
var AddonStatuses = []string{AddonPending, AddonInitiated, AddonActive, AddonEnded}

// Timer kinds of subscription add-ons.
const (
	// KindAddonLatch activates a networkLatch add-on when the line's data
	// session is taken to have ended (LatchDelay).
	KindAddonLatch = "subscriptionAddon.latch"
	// KindAddonEnd ends an add-on when its validity runs out.
	KindAddonEnd = "subscriptionAddon.end"
)

// LatchDelay is how long after it is bought (or paid) a networkLatch
// add-on activates: cellgate does not see data sessions, so it takes the
// session open at purchase to end within this time.
const LatchDelay = 5 * time.Minute

func init() {
	events.Register("subscriptionAddon.created", "subscriptionAddon.updated", "subscriptionAddon.activated", "subscriptionAddon.ended")
}

// SubscriptionAddon is the API representation (reference §2.12).
type SubscriptionAddon struct {
	Object        string         `json:"object"`
	ID            string         `json:"id"`
	ActivatedAt   *time.Time     `json:"activatedAt"`
	Addon         *catalog.Addon `json:"addon"`
	CanceledAt    *time.Time     `json:"canceledAt"`
	CreatedAt     time.Time      `json:"createdAt"`
	CurrentPeriod *Period        `json:"currentPeriod"`
	EndedAt       *time.Time     `json:"endedAt"`
	Status        string         `json:"status"`
	Subscription  string         `json:"subscription"`
	User          string         `json:"user"`
}

// AddonInput is the body of POST /subscriptionAddons.
type AddonInput struct {
	Subscription string `json:"subscription"`
	Addon        string `json:"addon"`
}

// addonRecord is the stored subscription add-on.
type addonRecord struct {
	ID, Project, Subscription, AddonID, User, Status string
	Period                                           *Period
	ActivatedAt, CanceledAt, EndedAt                 *time.Time
	InvoiceID                                        string
	CreatedAt                                        time.Time
}

// AddonRequest is an add-on purchase just recorded, for the flow that
// bills it.
type AddonRequest struct {
	Addon  *catalog.Addon
	Billed *Billed
	rec    *addonRecord
	sub    *record
}

// RequestAddon checks a purchase against the rules of docs/changes.md and
// records it, not yet started: the caller bills it, then calls
// StartAddon.
func (s *Service) RequestAddon(ctx context.Context, tx *store.Tx, project string, in AddonInput, now time.Time) (*AddonRequest, error) {
	for _, f := range []struct{ name, v string }{{"subscription", in.Subscription}, {"addon", in.Addon}} {
		if err := validate.Required(f.name, f.v); err != nil {
			return nil, err
		}
	}
	r, err := load(ctx, tx, project, in.Subscription)
	if err != nil {
		return nil, referenced(err, "subscription")
	}
	a, err := catalog.GetAddon(ctx, tx, project, in.Addon)
	if err != nil {
		return nil, referenced(err, "addon")
	}
	if err := a.CheckFor(r.plan); err != nil {
		return nil, err
	}
	if err := checkActive(r.Status); err != nil {
		return nil, err
	}
	rec := &addonRecord{ID: ids.New(AddonPrefix), Project: project, Subscription: r.ID, AddonID: a.ID, User: r.UserID,
		Status: AddonPending, CreatedAt: now}
	if err := insertAddon(ctx, tx, rec); err != nil {
		return nil, err
	}
	return &AddonRequest{Addon: a, Billed: r.billedOrNil(), rec: rec, sub: r}, nil
}

// checkActive holds that add-ons are bought for active subscriptions.
func checkActive(status string) error {
	if status != StatusActive {
		return errs.Conflict("subscriptionNotActive", "The subscription is %s; add-ons are bought for active subscriptions.", status)
	}
	return nil
}

// StartAddon sets a purchase going: initiated while invoice (the billing
// engine's, "" when none) is unpaid, otherwise on to its trigger.
func (s *Service) StartAddon(ctx context.Context, tx *store.Tx, req *AddonRequest, invoice string, paid bool, now time.Time) (*SubscriptionAddon, error) {
	rec := req.rec
	rec.InvoiceID = invoice
	if invoice != "" && !paid {
		rec.Status = AddonInitiated
	}
	if err := saveAddon(ctx, tx, rec, now); err != nil {
		return nil, err
	}
	v, err := addonView(ctx, tx, rec)
	if err != nil {
		return nil, err
	}
	if err := events.Record(ctx, tx, rec.Project, "subscriptionAddon.created", rec.ID, v, now); err != nil {
		return nil, err
	}
	if rec.Status == AddonPending {
		if err := s.trigger(ctx, tx, rec, req.Addon, req.sub, now); err != nil {
			return nil, err
		}
		return addonView(ctx, tx, rec)
	}
	return v, nil
}

// trigger follows a pending add-on's activation trigger: creation
// activates it now, networkLatch after LatchDelay, usageStarted when its
// line is first used after the purchase (StartedByUsage).
func (s *Service) trigger(ctx context.Context, tx *store.Tx, rec *addonRecord, a *catalog.Addon, r *record, now time.Time) error {
	switch a.ActivationTrigger {
	case catalog.TriggerCreation:
		return activateAddon(ctx, tx, rec, a, r, now)
	case catalog.TriggerNetworkLatch:
		return timeline.Schedule(ctx, tx, rec.Project, KindAddonLatch, rec.ID, now.Add(LatchDelay))
	}
	return nil
}

// activateAddon starts an add-on's validity: its own, or a period of the
// subscription's plan when it has none.
func activateAddon(ctx context.Context, tx *store.Tx, rec *addonRecord, a *catalog.Addon, r *record, now time.Time) error {
	unit, value := r.plan.Validity.Unit, r.plan.Validity.Value
	if a.Validity != nil {
		unit, value = a.Validity.Unit, a.Validity.Value
	}
	rec.Status, rec.ActivatedAt = AddonActive, &now
	rec.Period = &Period{Number: 1, Start: now, End: clock.PeriodBoundary(now, unit, value, 1)}
	if err := timeline.Schedule(ctx, tx, rec.Project, KindAddonEnd, rec.ID, rec.Period.End); err != nil {
		return err
	}
	if err := tellAddon(ctx, tx, r, rec, a, true, now); err != nil {
		return err
	}
	return recordAddon(ctx, tx, rec, "subscriptionAddon.activated", now)
}

// recordAddon saves rec and records an event with its view.
func recordAddon(ctx context.Context, tx *store.Tx, rec *addonRecord, typ string, now time.Time) error {
	if err := saveAddon(ctx, tx, rec, now); err != nil {
		return err
	}
	v, err := addonView(ctx, tx, rec)
	if err != nil {
		return err
	}
	return events.Record(ctx, tx, rec.Project, typ, rec.ID, v, now)
}

// endAddon ends an add-on at at; canceled marks a cancellation.
func endAddon(ctx context.Context, tx *store.Tx, rec *addonRecord, canceled bool, at time.Time) error {
	for _, kind := range []string{KindAddonLatch, KindAddonEnd} {
		if err := timeline.Cancel(ctx, tx, kind, rec.ID); err != nil {
			return err
		}
	}
	rec.Status, rec.EndedAt = AddonEnded, &at
	if canceled {
		rec.CanceledAt = &at
	}
	return recordAddon(ctx, tx, rec, "subscriptionAddon.ended", at)
}

// lockAddon locks an add-on's subscription, then the add-on.
func lockAddon(ctx context.Context, tx *store.Tx, project, id string) (*record, *addonRecord, error) {
	rec, err := loadAddon(ctx, tx, project, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := load(ctx, tx, project, rec.Subscription)
	if err != nil {
		return nil, nil, err
	}
	rec, err = loadAddon(ctx, tx, project, id)
	return r, rec, err
}

// CancelAddon ends an add-on now: a pending or initiated one is never
// activated, an active one gives up what is left of its allowance. It
// returns the invoice to settle ("" when none): the unpaid invoice of an
// initiated add-on, to void, or the paid one of an add-on that never
// activated, to credit in full. An active add-on's invoice stands: its
// validity has started, as a started period does (docs/changes.md).
func (s *Service) CancelAddon(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*SubscriptionAddon, string, error) {
	r, rec, err := lockAddon(ctx, tx, project, id)
	if err != nil {
		return nil, "", err
	}
	if rec.Status == AddonEnded {
		return nil, "", errs.Conflict("subscriptionAddonAlreadyEnded", "The subscription add-on %s has already ended.", id)
	}
	invoice := ""
	if rec.Status == AddonInitiated || rec.Status == AddonPending {
		invoice = rec.InvoiceID
	}
	wasActive := rec.Status == AddonActive
	if err := endAddon(ctx, tx, rec, true, now); err != nil {
		return nil, "", err
	}
	if wasActive {
		if err := tellAddonEnded(ctx, tx, r, rec, now); err != nil {
			return nil, "", err
		}
	}
	v, err := addonView(ctx, tx, rec)
	return v, invoice, err
}

// AddonPaid moves the initiated add-on whose invoice was paid on to its
// trigger; nothing waits for the invoice when none is found.
func (s *Service) AddonPaid(ctx context.Context, tx *store.Tx, project, invoice string, now time.Time) error {
	r, rec, err := addonOfInvoice(ctx, tx, project, invoice)
	if rec == nil || err != nil {
		return err
	}
	a, err := catalog.GetAddon(ctx, tx, project, rec.AddonID)
	if err != nil {
		return err
	}
	rec.Status = AddonPending
	if err := recordAddon(ctx, tx, rec, "subscriptionAddon.updated", now); err != nil {
		return err
	}
	return s.trigger(ctx, tx, rec, a, r, now)
}

// AddonVoided ends the initiated add-on whose invoice was voided.
func (s *Service) AddonVoided(ctx context.Context, tx *store.Tx, project, invoice string, now time.Time) error {
	_, rec, err := addonOfInvoice(ctx, tx, project, invoice)
	if rec == nil || err != nil {
		return err
	}
	return endAddon(ctx, tx, rec, false, now)
}

// StartedByUsage activates the pending usageStarted add-ons of the
// subscriptions in used (by subscription, the start of each usage record
// of an ingest batch): an add-on starts with the earliest usage that
// began at or after it was bought, and its validity runs from that
// usage's start (docs/changes.md). It runs in the transaction that
// records the usage, before the usage is counted, so that the usage that
// started the add-on can count in it; a replayed record finds the add-on
// active already and changes nothing.
func StartedByUsage(ctx context.Context, tx *store.Tx, project string, used map[string][]time.Time) error {
	subs := make([]string, 0, len(used))
	for sub := range used {
		subs = append(subs, sub)
	}
	sort.Strings(subs)
	for len(subs) > 0 {
		n := min(len(subs), 500)
		if err := startByUsage(ctx, tx, project, subs[:n], used); err != nil {
			return err
		}
		subs = subs[n:]
	}
	return nil
}

func startByUsage(ctx context.Context, tx *store.Tx, project string, subs []string, used map[string][]time.Time) error {
	args := []any{project}
	for _, s := range subs {
		args = append(args, s)
	}
	waiting, err := store.All(ctx, tx, func(sc store.Scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	}, `SELECT sa.id FROM subscription_addons sa JOIN addons a ON a.id = sa.addon_id
		WHERE sa.project_id = ? AND sa.subscription_id IN (?`+strings.Repeat(", ?", len(subs)-1)+`)
		AND sa.status = 'pending' AND a.activation_trigger = ? ORDER BY sa.subscription_id, sa.id`,
		append(args, catalog.TriggerUsageStarted)...)
	if err != nil {
		return fmt.Errorf("subscriptions: add-ons waiting for usage: %w", err)
	}
	for _, id := range waiting {
		r, rec, err := lockAddon(ctx, tx, project, id)
		if err != nil {
			return err
		}
		if rec.Status != AddonPending || r.Status == StatusEnded {
			continue
		}
		at, ok := firstAtOrAfter(used[rec.Subscription], rec.CreatedAt)
		if !ok {
			continue
		}
		a, err := catalog.GetAddon(ctx, tx, project, rec.AddonID)
		if err != nil {
			return err
		}
		if err := activateAddon(ctx, tx, rec, a, r, at); err != nil {
			return err
		}
	}
	return nil
}

// firstAtOrAfter is the earliest of ts at or after from, to the second.
func firstAtOrAfter(ts []time.Time, from time.Time) (time.Time, bool) {
	var first time.Time
	for _, t := range ts {
		if !t.Before(from) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first.UTC().Truncate(time.Second), !first.IsZero()
}

// handleLatch activates a networkLatch add-on.
func (s *Service) handleLatch(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	r, rec, err := lockAddon(ctx, tx, t.Project, t.Subject)
	if err != nil || rec.Status != AddonPending {
		return err
	}
	a, err := catalog.GetAddon(ctx, tx, t.Project, rec.AddonID)
	if err != nil {
		return err
	}
	return activateAddon(ctx, tx, rec, a, r, now)
}

// handleAddonEnd ends an add-on whose validity ran out.
func (s *Service) handleAddonEnd(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	r, rec, err := lockAddon(ctx, tx, t.Project, t.Subject)
	if err != nil || rec.Status != AddonActive {
		return err
	}
	if err := endAddon(ctx, tx, rec, false, rec.Period.End); err != nil {
		return err
	}
	return tellAddonEnded(ctx, tx, r, rec, now)
}

// endAddons ends the add-ons of a subscription that ends.
func endAddons(ctx context.Context, tx *store.Tx, r *record, at time.Time) error {
	recs, err := addonsOf(ctx, tx, r.ID, `status <> 'ended'`)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := endAddon(ctx, tx, rec, false, at); err != nil {
			return err
		}
	}
	return nil
}
