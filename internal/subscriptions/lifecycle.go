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
// then. A subscription that has not started yet ends at once. The
// returned Billed (nil when not billed) tells which: its status is ended.
func (s *Service) Cancel(ctx context.Context, tx *store.Tx, project, id string, in CancelInput, now time.Time) (*Subscription, *Billed, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := in.details()
	if err != nil {
		return nil, nil, err
	}
	switch {
	case r.Status == StatusEnded:
		return nil, nil, errs.Conflict("subscriptionAlreadyEnded", "The subscription %s has already ended.", id)
	case r.canceled():
		return nil, nil, errs.Conflict("subscriptionAlreadyCanceled", "The subscription %s is already canceled; it ends at %s.", id, r.EndedAt.Format(time.RFC3339))
	case !r.live():
		return s.end(ctx, tx, r, c, now)
	}
	r.CanceledAt, r.EndedAt, r.Cancellation = &now, r.earliestEnd(now), c
	v, err := s.commit(ctx, tx, r, now, func(v *Subscription) error {
		return events.Record(ctx, tx, project, "subscription.canceled", id, v, now)
	})
	return v, r.billedOrNil(), err
}

// Resume takes back a cancellation. Once the cutoff before the scheduled
// end has passed, the end is committed and resuming is refused.
func (s *Service) Resume(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Subscription, *Billed, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case r.Status == StatusEnded:
		return nil, nil, errs.Conflict("subscriptionAlreadyEnded", "The subscription %s has ended and cannot be resumed; create a new subscription on the same SIM to keep the number.", id)
	case !r.canceled():
		return nil, nil, errs.Conflict("subscriptionNotCanceled", "The subscription %s is not canceled, so there is nothing to resume.", id)
	case !now.Before(r.EndedAt.Add(-Cutoff)):
		return nil, nil, errs.Conflict("subscriptionCutoffPassed", "The subscription %s ends at %s and the cutoff one hour before it has passed.", id, r.EndedAt.Format(time.RFC3339)).
			WithHint("After it ends, create a new subscription on the same SIM within 60 days to keep the number.")
	}
	r.CanceledAt, r.EndedAt, r.Cancellation = nil, nil, nil
	v, err := s.commit(ctx, tx, r, now, func(v *Subscription) error {
		return events.Record(ctx, tx, project, "subscription.resumed", id, v, now)
	})
	return v, r.billedOrNil(), err
}

// End ends the subscription now, irreversibly.
func (s *Service) End(ctx context.Context, tx *store.Tx, project, id string, in CancelInput, now time.Time) (*Subscription, *Billed, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, nil, err
	}
	if r.Status == StatusEnded {
		return nil, nil, errs.Conflict("subscriptionAlreadyEnded", "The subscription %s has already ended.", id)
	}
	c, err := in.details()
	if err != nil {
		return nil, nil, err
	}
	if !in.UserReason.Set && r.Cancellation != nil {
		c = r.Cancellation // an earlier cancel already said why
	}
	return s.end(ctx, tx, r, c, now)
}

// end stops the line, frees the SIM into its 60 days of grace and records
// subscription.ended. The billing engine settles the ended subscription's
// invoices with the returned Billed (nil when not billed).
func (s *Service) end(ctx context.Context, tx *store.Tx, r *record, c *Cancellation, now time.Time) (*Subscription, *Billed, error) {
	r.Status, r.EndedAt, r.Cancellation = StatusEnded, &now, c
	if r.CanceledAt == nil {
		r.CanceledAt = &now
	}
	for _, kind := range []string{KindActivate, KindPeriodEnd} {
		if err := timeline.Cancel(ctx, tx, kind, r.ID); err != nil {
			return nil, nil, err
		}
	}
	if err := s.failOpenChanges(ctx, tx, r, now); err != nil {
		return nil, nil, err
	}
	if err := endAddons(ctx, tx, r, now); err != nil {
		return nil, nil, err
	}
	if r.PortingID != "" {
		// A line that ends no longer wants its number.
		if err := s.Porting.CancelForSubscription(ctx, tx, r.Project, r.PortingID, now); err != nil {
			return nil, nil, err
		}
	}
	if r.SIMID != "" {
		sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
		if err != nil {
			return nil, nil, err
		}
		if err := outbound.Cancel(ctx, tx, OpActivate, sim.ID, now); err != nil {
			return nil, nil, err
		}
		if err := tellCarrier(ctx, tx, r, sim, OpDeactivate, now); err != nil {
			return nil, nil, err
		}
		if err := sims.Deactivate(ctx, tx, sim, now); err != nil {
			return nil, nil, err
		}
		if err := sims.ScheduleRetirement(ctx, tx, sim, now); err != nil {
			return nil, nil, err
		}
	}
	v, err := s.commit(ctx, tx, r, now, func(v *Subscription) error {
		return events.Record(ctx, tx, r.Project, "subscription.ended", r.ID, v, now)
	})
	return v, r.billedOrNil(), err
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
