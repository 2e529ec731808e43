package subscriptions

import (
	"context"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/metadata"
	"cellgate/internal/optional"
	"cellgate/internal/outbound"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/validate"
)

// UpdateInput is the body of PATCH /subscriptions/{id}.
type UpdateInput struct {
	Metadata optional.Value[metadata.Update] `json:"metadata"`
}

// Update changes a subscription's metadata.
func (s *Service) Update(ctx context.Context, tx *store.Tx, project, id string, in UpdateInput, now time.Time) (*Subscription, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	before, err := view(ctx, tx, r, now)
	if err != nil {
		return nil, err
	}
	if r.Metadata, err = metadata.ApplyField(r.Metadata, in.Metadata); err != nil {
		return nil, err
	}
	return s.commit(ctx, tx, r, now, func(after *Subscription) error {
		return events.RecordUpdate(ctx, tx, project, "subscription.updated", id, before, after, now)
	})
}

// CancelInput is the optional body of the cancel and end actions.
type CancelInput struct {
	UserReason  optional.Value[string] `json:"userReason"`
	UserComment optional.Value[string] `json:"userComment"`
}

func (in CancelInput) details() (*Cancellation, error) {
	c := &Cancellation{Cause: CauseCancellationRequested}
	if in.UserReason.Present() {
		if err := validate.OneOf("userReason", in.UserReason.Value, UserReasons...); err != nil {
			return nil, err
		}
		c.UserReason = in.UserReason.Ptr()
	}
	if in.UserComment.Present() {
		if c.UserReason == nil || *c.UserReason != "other" {
			return nil, errs.Invalid("userCommentNotAllowed", "userComment can only be given with userReason \"other\".")
		}
		if err := validate.MaxLength("userComment", in.UserComment.Value, 500); err != nil {
			return nil, err
		}
		c.UserComment = in.UserComment.Ptr()
	}
	return c, nil
}

// Cancel schedules the end at the earliest possible moment: the current
// period's end, or, once the cutoff has passed, the end of the next period
// (and never before the plan's minimum periods). It can be resumed until
// then. A subscription that has not started yet ends at once.
func (s *Service) Cancel(ctx context.Context, tx *store.Tx, project, id string, in CancelInput, now time.Time) (*Subscription, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	c, err := in.details()
	if err != nil {
		return nil, err
	}
	switch {
	case r.Status == StatusEnded:
		return nil, errs.Conflict("subscriptionAlreadyEnded", "The subscription %s has already ended.", id)
	case r.canceled():
		return nil, errs.Conflict("subscriptionAlreadyCanceled", "The subscription %s is already canceled; it ends at %s.", id, r.EndedAt.Format(time.RFC3339))
	case !r.live():
		return s.end(ctx, tx, r, c, now)
	}
	r.CanceledAt, r.EndedAt, r.Cancellation = &now, r.earliestEnd(now), c
	v, err := s.commit(ctx, tx, r, now, func(v *Subscription) error {
		return events.Record(ctx, tx, project, "subscription.canceled", id, v, now)
	})
	if err != nil || !s.bills(r) {
		return v, err
	}
	return v, s.Billing.Canceled(ctx, tx, r.billed(), now)
}

// bills reports whether the billing engine follows r.
func (s *Service) bills(r *record) bool { return r.Billed && s.Billing != nil }

// Resume takes back a cancellation. Once the cutoff before the scheduled
// end has passed, the end is committed and resuming is refused.
func (s *Service) Resume(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Subscription, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Status == StatusEnded:
		return nil, errs.Conflict("subscriptionAlreadyEnded", "The subscription %s has ended and cannot be resumed; create a new subscription on the same SIM to keep the number.", id)
	case !r.canceled():
		return nil, errs.Conflict("subscriptionNotCanceled", "The subscription %s is not canceled, so there is nothing to resume.", id)
	case !now.Before(r.EndedAt.Add(-Cutoff)):
		return nil, errs.Conflict("subscriptionCutoffPassed", "The subscription %s ends at %s and the cutoff one hour before it has passed.", id, r.EndedAt.Format(time.RFC3339)).
			WithHint("After it ends, create a new subscription on the same SIM within 60 days to keep the number.")
	}
	r.CanceledAt, r.EndedAt, r.Cancellation = nil, nil, nil
	v, err := s.commit(ctx, tx, r, now, func(v *Subscription) error {
		return events.Record(ctx, tx, project, "subscription.resumed", id, v, now)
	})
	if err != nil || !s.bills(r) {
		return v, err
	}
	return v, s.Billing.Resumed(ctx, tx, r.billed(), now)
}

// End ends the subscription now, irreversibly.
func (s *Service) End(ctx context.Context, tx *store.Tx, project, id string, in CancelInput, now time.Time) (*Subscription, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if r.Status == StatusEnded {
		return nil, errs.Conflict("subscriptionAlreadyEnded", "The subscription %s has already ended.", id)
	}
	c, err := in.details()
	if err != nil {
		return nil, err
	}
	if !in.UserReason.Set && r.Cancellation != nil {
		c = r.Cancellation // an earlier cancel already said why
	}
	return s.end(ctx, tx, r, c, now)
}

// end stops the line, frees the SIM into its 60 days of grace and records
// subscription.ended.
func (s *Service) end(ctx context.Context, tx *store.Tx, r *record, c *Cancellation, now time.Time) (*Subscription, error) {
	r.Status, r.EndedAt, r.Cancellation = StatusEnded, &now, c
	if r.CanceledAt == nil {
		r.CanceledAt = &now
	}
	for _, kind := range []string{KindActivate, KindPeriodEnd} {
		if err := timeline.Cancel(ctx, tx, kind, r.ID); err != nil {
			return nil, err
		}
	}
	if r.SIMID != "" {
		sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
		if err != nil {
			return nil, err
		}
		if err := outbound.Cancel(ctx, tx, OpActivate, sim.ID, now); err != nil {
			return nil, err
		}
		if err := tellCarrier(ctx, tx, r, sim, OpDeactivate, now); err != nil {
			return nil, err
		}
		if err := sims.Deactivate(ctx, tx, sim, now); err != nil {
			return nil, err
		}
		if err := sims.ScheduleRetirement(ctx, tx, sim, now); err != nil {
			return nil, err
		}
	}
	v, err := s.commit(ctx, tx, r, now, func(v *Subscription) error {
		return events.Record(ctx, tx, r.Project, "subscription.ended", r.ID, v, now)
	})
	if err != nil || !s.bills(r) {
		return v, err
	}
	// Invoices of periods never entered are voided or credited.
	return v, s.Billing.Ended(ctx, tx, r.billed(), now)
}

// commit saves r and records the event that record builds from its view.
func (s *Service) commit(ctx context.Context, tx *store.Tx, r *record, now time.Time, record func(*Subscription) error) (*Subscription, error) {
	if err := save(ctx, tx, r, now); err != nil {
		return nil, err
	}
	v, err := view(ctx, tx, r, now)
	if err != nil {
		return nil, err
	}
	return v, record(v)
}

// Handlers are the lifecycle's timers.
func (s *Service) Handlers() timeline.Handlers {
	return timeline.Handlers{
		KindActivate:    s.handleActivate,
		KindPeriodEnd:   s.handlePeriodEnd,
		sims.KindRetire: sims.HandleRetire,
	}
}

// handleActivate runs when the provider confirms the line: the SIM goes
// active and the first period starts.
func (s *Service) handleActivate(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	r, err := load(ctx, tx, t.Project, t.Subject)
	if err != nil || r.Status != StatusPending {
		return err
	}
	sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
	if err != nil {
		return err
	}
	if err := sims.SetStatus(ctx, tx, sim, sims.StatusActive, now); err != nil {
		return err
	}
	r.Status, r.ActivatedAt, r.AnchorAt, r.AnchorPeriod = StatusActive, &now, &now, 1
	r.Period = &Period{Number: 1, Start: now, End: r.periodEnd(1)}
	if err := timeline.Schedule(ctx, tx, r.Project, KindPeriodEnd, r.ID, r.Period.End); err != nil {
		return err
	}
	_, err = s.commit(ctx, tx, r, now, func(v *Subscription) error {
		return events.Record(ctx, tx, r.Project, "subscription.activated", r.ID, v, now)
	})
	if err != nil || !s.bills(r) {
		return err
	}
	return s.Billing.PeriodStarted(ctx, tx, r.billed(), now, false)
}

// handlePeriodEnd renews the subscription into its next period, or ends it
// when it was canceled for this moment or its plan does not recur.
func (s *Service) handlePeriodEnd(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	r, err := load(ctx, tx, t.Project, t.Subject)
	if err != nil || !r.live() || r.Period.End.After(now) {
		return err
	}
	switch {
	case r.canceled() && !r.EndedAt.After(r.Period.End):
		_, err = s.end(ctx, tx, r, r.Cancellation, r.Period.End)
		return err
	case !r.recurring():
		_, err = s.end(ctx, tx, r, &Cancellation{Cause: CauseSubscriptionEnded}, r.Period.End)
		return err
	}
	var check RenewalCheck
	if s.bills(r) {
		if check, err = s.Billing.BeforeRenewal(ctx, tx, r.billed(), r.Period.End); err != nil {
			return err
		}
		if check.Refused {
			_, err = s.end(ctx, tx, r, &Cancellation{Cause: CauseInvoiceUnpaid}, r.Period.End)
			return err
		}
	}
	next := r.Period.Number + 1
	r.Period = &Period{Number: next, Start: r.Period.End, End: r.periodEnd(next)}
	if err := timeline.Schedule(ctx, tx, r.Project, KindPeriodEnd, r.ID, r.Period.End); err != nil {
		return err
	}
	// A renewal changes only the period: writing just those columns spares
	// the indexes on status, SIM and number, which renewals never change.
	if err := savePeriod(ctx, tx, r, now); err != nil {
		return err
	}
	v, err := view(ctx, tx, r, now)
	if err != nil {
		return err
	}
	if err := events.Record(ctx, tx, r.Project, "subscription.renewed", r.ID, v, now); err != nil || !s.bills(r) {
		return err
	}
	return s.Billing.PeriodStarted(ctx, tx, r.billed(), now, !check.Invoiced)
}

// EndForUser ends every subscription of a user who is being deleted, with
// cause userDeleted: a deleted user keeps no service. All of them are
// locked first, in id order: ending one moves the user's balance, which
// must not be held while waiting for the next (docs/concurrency.md).
func (s *Service) EndForUser(ctx context.Context, tx *store.Tx, project, userID string, now time.Time) error {
	ids, err := store.All(ctx, tx, store.ScanString,
		`SELECT id FROM subscriptions WHERE project_id = ? AND user_id = ? AND status <> 'ended' ORDER BY id`+store.LockInTx(tx), project, userID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		r, err := load(ctx, tx, project, id)
		if err != nil {
			return err
		}
		if _, err := s.end(ctx, tx, r, &Cancellation{Cause: CauseUserDeleted}, now); err != nil {
			return err
		}
	}
	return nil
}
