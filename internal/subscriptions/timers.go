package subscriptions

import (
	"context"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/porting"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

// Timers of the lifecycle. The activation and period-end timers are run by
// the package above this one that follows them with billing
// (docs/architecture.md); here are the steps they take, each reporting
// what it did.

// Handlers are the lifecycle's timers that involve nothing but SIMs.
func (s *Service) Handlers() timeline.Handlers {
	handlers := timeline.Handlers{sims.KindRetire: sims.HandleRetire, KindChangeDue: s.handleChangeDue,
		KindAddonLatch: s.handleLatch, KindAddonEnd: s.handleAddonEnd}
	for kind, h := range porting.Handlers() {
		handlers[kind] = h
	}
	return handlers
}

// Activate runs when the provider confirms the line: the SIM goes active
// and the first period starts. It returns the started subscription when
// it is billed (nil when not billed or when nothing was pending) and the
// provider of the line it started ("" when none).
func (s *Service) Activate(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Billed, string, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil || r.Status != StatusPending {
		return nil, "", err
	}
	sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
	if err != nil {
		return nil, "", err
	}
	if err := sims.SetStatus(ctx, tx, sim, sims.StatusActive, now); err != nil {
		return nil, "", err
	}
	r.Status, r.ActivatedAt, r.AnchorAt, r.AnchorPeriod = StatusActive, &now, &now, 1
	r.Period = &Period{Number: 1, Start: now, End: r.periodEnd(1)}
	if err := timeline.Schedule(ctx, tx, r.Project, KindPeriodEnd, r.ID, r.Period.End); err != nil {
		return nil, "", err
	}
	_, err = s.commit(ctx, tx, r, now, func(v *Subscription) error {
		return events.Record(ctx, tx, r.Project, "subscription.activated", r.ID, v, now)
	})
	return r.billedOrNil(), sim.Provider, err
}

// PeriodEnd is a subscription at the end of its period. Either the period
// end already ended it (Ended), or it waits to renew: Renew or Refuse
// decide, once whoever bills it has checked its invoices.
type PeriodEnd struct {
	r *record
	// Billed is the subscription as billing sees it (nil when not
	// billed): before the renewal, or after the end when Ended.
	Billed *Billed
	Ended  bool
	// At is the end of the period: when the subscription ends or renews.
	At time.Time
}

// EndPeriod runs the period end that is due at now: a subscription
// canceled for this moment or on a plan that does not recur ends here.
// It returns nil when no period end is due.
func (s *Service) EndPeriod(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*PeriodEnd, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil || !r.live() || r.Period.End.After(now) {
		return nil, err
	}
	var c *Cancellation
	switch {
	case r.canceled() && !r.EndedAt.After(r.Period.End):
		c = r.Cancellation
	case !r.recurring():
		c = &Cancellation{Cause: CauseSubscriptionEnded}
	default:
		return &PeriodEnd{r: r, Billed: r.billedOrNil(), At: r.Period.End}, nil
	}
	at := r.Period.End
	_, b, err := s.end(ctx, tx, r, c, at)
	return &PeriodEnd{r: r, Billed: b, Ended: true, At: at}, err
}

// Refuse ends the subscription at its period end instead of renewing it,
// for an unpaid invoice.
func (s *Service) Refuse(ctx context.Context, tx *store.Tx, pe *PeriodEnd) (*Billed, error) {
	_, b, err := s.end(ctx, tx, pe.r, &Cancellation{Cause: CauseInvoiceUnpaid}, pe.At)
	return b, err
}

// Renew moves the subscription into its next period and returns it when
// billed.
func (s *Service) Renew(ctx context.Context, tx *store.Tx, pe *PeriodEnd, now time.Time) (*Billed, error) {
	r := pe.r
	change, err := s.applyAtRenewal(ctx, tx, r, pe.At)
	if err != nil {
		return nil, err
	}
	next := r.Period.Number + 1
	r.Period = &Period{Number: next, Start: r.Period.End, End: r.periodEnd(next)}
	if err := timeline.Schedule(ctx, tx, r.Project, KindPeriodEnd, r.ID, r.Period.End); err != nil {
		return nil, err
	}
	if change != nil {
		// The new plan's periods start here: its anchor and plan are saved
		// with the period, and the change is applied.
		if err := savePlanAndSIM(ctx, tx, r, now); err != nil {
			return nil, err
		}
		if err := save(ctx, tx, r, now); err != nil {
			return nil, err
		}
	} else if err := savePeriod(ctx, tx, r, now); err != nil {
		// A renewal changes only the period: writing just those columns
		// spares the indexes on status, SIM and number.
		return nil, err
	}
	v, err := view(ctx, tx, r, now)
	if err != nil {
		return nil, err
	}
	if err := events.Record(ctx, tx, r.Project, "subscription.renewed", r.ID, v, now); err != nil {
		return nil, err
	}
	if change != nil {
		change.Status, change.AppliedAt = ChangeApplied, &pe.At
		if err := saveChange(ctx, tx, change, now); err != nil {
			return nil, err
		}
		if _, err := s.recordChange(ctx, tx, change, "subscriptionChange.applied", now); err != nil {
			return nil, err
		}
	}
	return r.billedOrNil(), nil
}

// LinesOfUser locks the subscriptions of a user that have not ended, in
// id order, before any of them is ended: ending one moves the user's
// balance, which must not be held while waiting for the next
// (docs/concurrency.md).
func LinesOfUser(ctx context.Context, tx *store.Tx, project, userID string) ([]string, error) {
	return store.All(ctx, tx, store.ScanString,
		`SELECT id FROM subscriptions WHERE project_id = ? AND user_id = ? AND status <> 'ended' ORDER BY id`+store.LockInTx(tx), project, userID)
}

// EndForDeletedUser ends a subscription of a user who is being deleted,
// with cause userDeleted: a deleted user keeps no service.
func (s *Service) EndForDeletedUser(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Billed, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	_, b, err := s.end(ctx, tx, r, &Cancellation{Cause: CauseUserDeleted}, now)
	return b, err
}
