package subscriptions

import (
	"context"
	"encoding/json"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/porting"
	"cellgate/internal/sims"
	"cellgate/internal/store"
)

// A subscription created with a porting waits, pending (or initiated
// until paid), for the porting to complete; then its SIM takes the number
// and the line is activated as any other. The porting package knows only
// the subscription's id: the steps that act on the subscription are here.

// portingOperations are the porting's carrier calls; their outcomes that
// concern the subscription are followed here.
func (s *Service) portingOperations() outbound.Kinds {
	return outbound.Kinds{
		porting.OpSend:   {Perform: s.Porting.PerformSend, Apply: s.followPorting(s.Porting.ApplySent), Fail: s.Porting.FailSent},
		porting.OpCheck:  {Perform: s.Porting.PerformCheck, Apply: s.followPorting(s.Porting.ApplyCheck)},
		porting.OpCancel: {Perform: s.Porting.PerformCancel, Apply: noConsequence},
	}
}

type portingApply func(context.Context, *store.Tx, outbound.Operation, json.RawMessage, time.Time) (porting.Outcome, error)

// followPorting applies a porting call's answer with the subscription
// locked first (docs/concurrency.md), then lets a completed porting start
// the line.
func (s *Service) followPorting(apply portingApply) func(context.Context, *store.Tx, outbound.Operation, json.RawMessage, time.Time) error {
	return func(ctx context.Context, tx *store.Tx, op outbound.Operation, result json.RawMessage, now time.Time) error {
		r, err := s.lockPortingSubscription(ctx, tx, op.Project, op.Subject)
		if err != nil {
			return err
		}
		out, err := apply(ctx, tx, op, result, now)
		if err != nil || !out.Completed || r == nil {
			return err
		}
		return s.portedIn(ctx, tx, r, now)
	}
}

// lockPortingSubscription locks the subscription a porting serves; nil
// when it serves none.
func (s *Service) lockPortingSubscription(ctx context.Context, tx *store.Tx, project, portingID string) (*record, error) {
	sub, err := porting.SubscriptionOf(ctx, tx, project, portingID)
	if err != nil || sub == "" {
		return nil, err
	}
	return load(ctx, tx, project, sub)
}

// ApplyPortingCallback follows a carrier's callback about a porting.
func (s *Service) ApplyPortingCallback(ctx context.Context, tx *store.Tx, project, provider string, st network.PortingStatus, now time.Time) error {
	r, err := s.lockPortingSubscription(ctx, tx, project, st.Reference)
	if err != nil {
		return err
	}
	out, err := s.Porting.ApplyCallback(ctx, tx, project, provider, st, now)
	if err != nil || !out.Completed || r == nil {
		return err
	}
	return s.portedIn(ctx, tx, r, now)
}

// portedIn gives the SIM the number that has just moved in and, once the
// subscription is pending (paid, when billed), asks for its activation.
func (s *Service) portedIn(ctx context.Context, tx *store.Tx, r *record, now time.Time) error {
	if r.Status == StatusEnded {
		return nil
	}
	sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
	if err != nil {
		return err
	}
	if err := sims.AdoptNumber(ctx, tx, sim, r.PhoneNumber, now); err != nil {
		return err
	}
	if r.Status != StatusPending {
		return nil // initiated: ActivatePaid asks once the invoice is paid
	}
	return s.requestActivation(ctx, tx, r, sim, now)
}

// CancelPorting withdraws a porting. A subscription still waiting for it
// takes a number from the pool instead and goes on: the user wanted the
// line, and a porting is only how its number was to come.
func (s *Service) CancelPorting(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*porting.Porting, error) {
	r, err := s.lockPortingSubscription(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	p, _, err := s.Porting.Cancel(ctx, tx, project, id, now)
	if err != nil || r == nil || r.Status == StatusEnded {
		return p, err
	}
	before, err := view(ctx, tx, r, now)
	if err != nil {
		return nil, err
	}
	sim, err := sims.GetRecord(ctx, tx, project, r.SIMID)
	if err != nil {
		return nil, err
	}
	if r.PhoneNumber, err = sims.AssignNumber(ctx, tx, s.Carriers, sim, now); err != nil {
		return nil, err
	}
	if r.Status == StatusPending {
		if err := s.requestActivation(ctx, tx, r, sim, now); err != nil {
			return nil, err
		}
	}
	_, err = s.commit(ctx, tx, r, now, func(after *Subscription) error {
		return events.RecordUpdate(ctx, tx, project, "subscription.updated", r.ID, before, after, now)
	})
	return p, err
}

// ExpirePorting expires a porting that did not complete in time and ends
// the subscription waiting for it, with cause portingExpired. The
// returned Billed (nil when not billed or nothing ended) lets billing
// settle the ended subscription.
func (s *Service) ExpirePorting(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Billed, error) {
	r, err := s.lockPortingSubscription(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	expired, err := s.Porting.Expire(ctx, tx, project, id, now)
	if err != nil || !expired || r == nil || r.Status == StatusEnded {
		return nil, err
	}
	_, b, err := s.end(ctx, tx, r, &Cancellation{Cause: CausePortingExpired}, now)
	return b, err
}
