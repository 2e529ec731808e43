package subscriptions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

// Operation kinds and the timer of subscription changes.
const (
	OpChangePlan = "carrier.changePlan"
	OpSwapSIM    = "carrier.swapSIM"
	// KindChangeDue tells the carrier of a renewal change at the cutoff
	// before the period end, so that its answer is in before the renewal.
	KindChangeDue = "subscriptionChange.due"
)

// changeCall is the payload of a change operation.
type changeCall struct {
	Change       string              `json:"change"`
	Subscription string              `json:"subscription"`
	ICCID        string              `json:"iccid"`
	PhoneNumber  string              `json:"phoneNumber"`
	NewICCID     string              `json:"newIccid,omitempty"`
	Allowances   *catalog.Allowances `json:"allowances,omitempty"`
}

// StartChange sets a requested change going. invoice is the billing
// engine's invoice for it ("" when none) and paid whether that is paid:
// an unpaid one leaves the change initiated until InvoicePaid.
func (s *Service) StartChange(ctx context.Context, tx *store.Tx, req *Requested, invoice string, paid bool, now time.Time) (*Change, error) {
	c := req.rec
	c.InvoiceID = invoice
	if invoice != "" && !paid {
		c.Status = ChangeInitiated
	}
	if err := saveChange(ctx, tx, c, now); err != nil {
		return nil, err
	}
	if c.Status == ChangePending {
		if err := s.goAhead(ctx, tx, c, req.sub, now); err != nil {
			return nil, err
		}
	}
	return s.recordChange(ctx, tx, c, "subscriptionChange.created", now)
}

// recordChange records an event about c with its view as data.
func (s *Service) recordChange(ctx context.Context, tx *store.Tx, c *changeRecord, typ string, now time.Time) (*Change, error) {
	v, err := changeView(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	return v, events.Record(ctx, tx, c.Project, typ, c.ID, v, now)
}

// goAhead tells the carrier of a pending change: at once for a change
// now, at the cutoff before the period end for a renewal change.
func (s *Service) goAhead(ctx context.Context, tx *store.Tx, c *changeRecord, r *record, now time.Time) error {
	if c.When == WhenRenewal {
		return timeline.Schedule(ctx, tx, c.Project, KindChangeDue, c.ID, c.ScheduledAt.Add(-Cutoff))
	}
	return s.callCarrier(ctx, tx, c, r, now)
}

// callCarrier records the operation that makes the change at the carrier.
// Its subject is the line's SIM, so it runs in turn with the line's other
// calls.
func (s *Service) callCarrier(ctx context.Context, tx *store.Tx, c *changeRecord, r *record, now time.Time) error {
	sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
	if err != nil {
		return err
	}
	call := changeCall{Change: c.ID, Subscription: r.ID, ICCID: sim.ICCID, PhoneNumber: r.PhoneNumber}
	kind := OpSwapSIM
	if c.PlanID != "" {
		plan, err := catalog.GetPlan(ctx, tx, r.Project, c.PlanID)
		if err != nil {
			return err
		}
		kind, call.Allowances = OpChangePlan, &plan.Allowances
	} else {
		target, err := sims.GetRecord(ctx, tx, r.Project, c.SIMID)
		if err != nil {
			return err
		}
		call.NewICCID = target.ICCID
	}
	_, err = outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: kind, Subject: sim.ID, Target: sim.Provider, Payload: call, DueAt: now})
	return err
}

// ChangeOperations are the outbound operation kinds of changes. The flow
// above sets Fail: a refused change may have an invoice to settle
// (Refused returns it).
func (s *Service) ChangeOperations() outbound.Kinds {
	return outbound.Kinds{
		OpChangePlan: {Apply: s.Confirmed, Perform: s.performChange(func(p network.Provider, ctx context.Context, m network.Meta, c changeCall) error {
			a := network.Allowances{DataBytes: c.Allowances.DataBytes, VoiceSeconds: c.Allowances.VoiceSeconds, SMSMessages: c.Allowances.SMSMessages}
			return p.ChangePlan(ctx, network.PlanChangeRequest{Meta: m, ICCID: c.ICCID, PhoneNumber: c.PhoneNumber, Allowances: a})
		})},
		OpSwapSIM: {Apply: s.Confirmed, Perform: s.performChange(func(p network.Provider, ctx context.Context, m network.Meta, c changeCall) error {
			return p.SwapSIM(ctx, network.SwapRequest{Meta: m, PhoneNumber: c.PhoneNumber, OldICCID: c.ICCID, NewICCID: c.NewICCID})
		})},
	}
}

func (s *Service) performChange(call func(network.Provider, context.Context, network.Meta, changeCall) error) func(context.Context, outbound.Operation, time.Time) (any, error) {
	return func(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
		c, err := callOf(op)
		if err != nil {
			return nil, err
		}
		carrier, err := s.Carriers.Provider(op.Target)
		if err != nil {
			return nil, outbound.PermanentError(err)
		}
		return nil, call(carrier, ctx, network.Meta{Key: op.IdempotencyKey(), Project: op.Project, Now: now}, c)
	}
}

func callOf(op outbound.Operation) (changeCall, error) {
	var c changeCall
	if err := op.Decode(&c); err != nil {
		return c, outbound.PermanentError(err)
	}
	return c, nil
}

// lockChange locks the subscription of a change and then the change, the
// lock order of every change path.
func lockChange(ctx context.Context, tx *store.Tx, project, subscription, id string) (*record, *changeRecord, error) {
	r, err := load(ctx, tx, project, subscription)
	if err != nil {
		return nil, nil, err
	}
	c, err := loadChange(ctx, tx, project, id)
	return r, c, err
}

// Confirmed applies the carrier's yes: a change now is applied; a
// renewal change waits for the period end (applyAtRenewal).
func (s *Service) Confirmed(ctx context.Context, tx *store.Tx, op outbound.Operation, _ json.RawMessage, now time.Time) error {
	call, err := callOf(op)
	if err != nil {
		return err
	}
	r, c, err := lockChange(ctx, tx, op.Project, call.Subscription, call.Change)
	if err != nil || c.Status != ChangePending {
		return err
	}
	if c.When == WhenRenewal {
		c.CarrierAt = &now
		return saveChange(ctx, tx, c, now)
	}
	before, err := view(ctx, tx, r, now)
	if err != nil {
		return err
	}
	if c.PlanID != "" {
		if r.plan, err = catalog.GetPlan(ctx, tx, r.Project, c.PlanID); err != nil {
			return err
		}
		r.PlanID = c.PlanID
	} else if err := s.swapSIM(ctx, tx, r, c, now); err != nil {
		return err
	}
	return s.applied(ctx, tx, r, c, before, now)
}

// applied saves the subscription that took the change and records both.
func (s *Service) applied(ctx context.Context, tx *store.Tx, r *record, c *changeRecord, before *Subscription, now time.Time) error {
	if err := savePlanAndSIM(ctx, tx, r, now); err != nil {
		return err
	}
	if _, err := s.commit(ctx, tx, r, now, func(after *Subscription) error {
		return events.RecordUpdate(ctx, tx, r.Project, "subscription.updated", r.ID, before, after, now)
	}); err != nil {
		return err
	}
	c.Status, c.AppliedAt = ChangeApplied, &now
	if err := saveChange(ctx, tx, c, now); err != nil {
		return err
	}
	_, err := s.recordChange(ctx, tx, c, "subscriptionChange.applied", now)
	return err
}

// swapSIM moves the line to the change's SIM: the number goes with it,
// the old SIM becomes inactive and starts its 60 days before retirement.
func (s *Service) swapSIM(ctx context.Context, tx *store.Tx, r *record, c *changeRecord, now time.Time) error {
	old, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
	if err != nil {
		return err
	}
	target, err := sims.GetRecord(ctx, tx, r.Project, c.SIMID)
	if err != nil {
		return err
	}
	if err := sims.MoveNumber(ctx, tx, old, target); err != nil {
		return err
	}
	if err := sims.SetStatus(ctx, tx, target, sims.StatusActive, now); err != nil {
		return err
	}
	if err := sims.Deactivate(ctx, tx, old, now); err != nil {
		return err
	}
	// The old SIM stays in the subscription's history: usage reported late
	// for it still counts for this subscription.
	if _, err := tx.Exec(ctx, `INSERT INTO subscription_sim_history (project_id, subscription_id, sim_id, change_id, until_at)
		VALUES (?, ?, ?, ?, ?)`, r.Project, r.ID, old.ID, c.ID, store.Micros(now)); err != nil {
		return fmt.Errorf("subscriptions: SIM history: %w", err)
	}
	r.SIMID = target.ID
	return sims.ScheduleRetirement(ctx, tx, old, now)
}

// Refused applies the carrier's no (or its silence after every retry):
// the change fails with a code and the subscription stays as it was. It
// returns what the flow must settle: the change's invoice ("" when none),
// and for a refused renewal change the subscription whose next period
// may have been invoiced on the new plan (nil otherwise).
func (s *Service) Refused(ctx context.Context, tx *store.Tx, op outbound.Operation, now time.Time) (string, *Billed, error) {
	call, err := callOf(op)
	if err != nil {
		return "", nil, err
	}
	r, c, err := lockChange(ctx, tx, op.Project, call.Subscription, call.Change)
	if err != nil || c.Status != ChangePending {
		return "", nil, err
	}
	if err := s.fail(ctx, tx, c, failureOf(op.LastError), now); err != nil {
		return "", nil, err
	}
	if c.When == WhenRenewal && r.Billed {
		return c.InvoiceID, r.billed(), nil
	}
	return c.InvoiceID, nil, nil
}

// failureOf turns the error an operation gave up on into a failure code:
// the carrier's own code when it refused, providerUnavailable when it
// never answered.
func failureOf(msg string) string {
	rest, ok := strings.CutPrefix(msg, "carrier: ")
	if !ok || strings.Contains(msg, "(retryable)") {
		return FailureProviderNoResponse
	}
	code, _, _ := strings.Cut(rest, ":")
	if code == "" || strings.ContainsAny(code, " \t") {
		return FailureProviderRejected
	}
	return code
}

func (s *Service) fail(ctx context.Context, tx *store.Tx, c *changeRecord, code string, now time.Time) error {
	if err := timeline.Cancel(ctx, tx, KindChangeDue, c.ID); err != nil {
		return err
	}
	c.Status, c.FailureCode = ChangeFailed, code
	if err := saveChange(ctx, tx, c, now); err != nil {
		return err
	}
	_, err := s.recordChange(ctx, tx, c, "subscriptionChange.failed", now)
	return err
}

// handleChangeDue tells the carrier of a renewal change at the cutoff.
func (s *Service) handleChangeDue(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	c, err := loadChange(ctx, tx, t.Project, t.Subject)
	if err != nil || c.Status != ChangePending {
		return err
	}
	r, c, err := lockChange(ctx, tx, t.Project, c.Subscription, c.ID)
	if err != nil || c.Status != ChangePending || !r.live() {
		return err
	}
	return s.callCarrier(ctx, tx, c, r, now)
}

// applyAtRenewal moves a renewing subscription to the plan of its renewal
// change once the carrier has confirmed it: the new plan's periods start
// at the renewal. A change the carrier has not confirmed yet waits for
// the following renewal. It reports whether the plan changed.
func (s *Service) applyAtRenewal(ctx context.Context, tx *store.Tx, r *record, at time.Time) (*changeRecord, error) {
	c, err := renewalChange(ctx, tx, r.ID)
	if err != nil || c == nil || c.ScheduledAt.After(at) {
		return nil, err
	}
	if c.CarrierAt == nil {
		next := r.periodEnd(r.Period.Number + 1)
		c.ScheduledAt = &next
		return nil, saveChange(ctx, tx, c, at)
	}
	plan, err := catalog.GetPlan(ctx, tx, r.Project, c.PlanID)
	if err != nil {
		return nil, err
	}
	end := r.Period.End
	r.PlanID, r.plan, r.AnchorAt, r.AnchorPeriod = plan.ID, plan, &end, r.Period.Number+1
	return c, nil
}

// renewalChange is the subscription's pending renewal change; nil when
// none.
func renewalChange(ctx context.Context, q store.Querier, subscription string) (*changeRecord, error) {
	c, err := changeOf(ctx, q, `subscription_id = ? AND status IN ('pending', 'initiated')`, subscription)
	if c == nil || err != nil || c.Status != ChangePending || c.When != WhenRenewal {
		return nil, err
	}
	return c, nil
}

// failOpenChanges fails the changes in progress of a subscription that
// ends.
func (s *Service) failOpenChanges(ctx context.Context, tx *store.Tx, r *record, now time.Time) error {
	c, err := changeOf(ctx, tx, `subscription_id = ? AND status IN ('pending', 'initiated')`, r.ID)
	if c == nil || err != nil {
		return err
	}
	return s.fail(ctx, tx, c, FailureSubscriptionEnded, now)
}

// DeleteChange deletes a change that has not reached the carrier. It
// returns the change and its unpaid invoice for the flow to void ("" when
// none).
func (s *Service) DeleteChange(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Change, *Billed, string, error) {
	c, err := loadChange(ctx, tx, project, id)
	if err != nil {
		return nil, nil, "", err
	}
	r, c, err := lockChange(ctx, tx, project, c.Subscription, id)
	if err != nil {
		return nil, nil, "", err
	}
	switch {
	case c.Status != ChangePending && c.Status != ChangeInitiated:
		return nil, nil, "", errs.Conflict("subscriptionChangeNotDeletable", "The change %s is %s; only pending changes can be deleted.", id, c.Status)
	case c.Status == ChangePending && (c.When == WhenNow || TooCloseToRenewal(&Period{End: *c.ScheduledAt}, now)):
		return nil, nil, "", errs.Conflict("subscriptionChangeNotDeletable", "The change %s has been sent to the provider.", id)
	}
	if err := timeline.Cancel(ctx, tx, KindChangeDue, c.ID); err != nil {
		return nil, nil, "", err
	}
	invoice := ""
	if c.Status == ChangeInitiated {
		invoice = c.InvoiceID
	}
	c.Status = ChangeDeleted
	if err := saveChange(ctx, tx, c, now); err != nil {
		return nil, nil, "", err
	}
	v, err := s.recordChange(ctx, tx, c, "subscriptionChange.deleted", now)
	return v, r.billedOrNil(), invoice, err
}

// ChangePaid starts the initiated change whose invoice was paid; it does
// nothing when no change waits for that invoice.
func (s *Service) ChangePaid(ctx context.Context, tx *store.Tx, project, invoice string, now time.Time) error {
	r, c, err := s.changeOfInvoice(ctx, tx, project, invoice)
	if c == nil || err != nil {
		return err
	}
	c.Status = ChangePending
	if err := saveChange(ctx, tx, c, now); err != nil {
		return err
	}
	if err := s.goAhead(ctx, tx, c, r, now); err != nil {
		return err
	}
	_, err = s.recordChange(ctx, tx, c, "subscriptionChange.updated", now)
	return err
}

// ChangeVoided fails the initiated change whose invoice was voided.
func (s *Service) ChangeVoided(ctx context.Context, tx *store.Tx, project, invoice string, now time.Time) error {
	_, c, err := s.changeOfInvoice(ctx, tx, project, invoice)
	if c == nil || err != nil {
		return err
	}
	return s.fail(ctx, tx, c, FailureInvoiceVoided, now)
}

// changeOfInvoice locks the initiated change waiting for an invoice, with
// its subscription first; nil when none waits.
func (s *Service) changeOfInvoice(ctx context.Context, tx *store.Tx, project, invoice string) (*record, *changeRecord, error) {
	var sub, id string
	err := tx.QueryRow(ctx, `SELECT subscription_id, id FROM subscription_changes WHERE project_id = ? AND invoice_id = ? AND status = 'initiated'`,
		project, invoice).Scan(&sub, &id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("subscriptions: change of invoice %s: %w", invoice, err)
	}
	r, c, err := lockChange(ctx, tx, project, sub, id)
	if err != nil || c.Status != ChangeInitiated {
		return nil, nil, err
	}
	return r, c, nil
}
