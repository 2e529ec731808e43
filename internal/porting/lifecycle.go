package porting

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/outbound"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

// Attach gives a draft to a new subscription (POST /subscriptions with
// porting): it must belong to the subscription's user and be for the
// plan's provider. It becomes pending, and is sent to the carrier, when
// the donor has all it needs; informationRequired otherwise. It expires
// if it has not completed after Expiry.
func (s *Service) Attach(ctx context.Context, tx *store.Tx, project, id, user, provider, subscription string, now time.Time) (*Record, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		if errs.IsKind(err, errs.KindNotFound) {
			return nil, errs.Invalid("portingNotFound", "porting %q is not a porting of this project.", id)
		}
		return nil, err
	}
	switch {
	case r.Status == StatusCompleted:
		return nil, errs.Conflict("subscriptionPortingAlreadyCompleted", "The porting %s has completed already; its number belongs to subscription %s.", id, r.Subscription)
	case r.Subscription != "" && open(r.Status):
		return nil, errs.Conflict("subscriptionPortingAlreadyOpen", "The porting %s is already used by subscription %s.", id, r.Subscription)
	case r.Status != StatusDraft:
		return nil, errs.Conflict("portingNotUsable", "The porting %s is %s; create a new porting for the number.", id, r.Status)
	case r.User != user:
		return nil, errs.Invalid("portingUserMismatch", "The porting %s belongs to user %s, not to the subscription's user %s.", id, r.User, user)
	case r.Provider != provider:
		return nil, errs.Invalid("portingProviderMismatch", "The porting %s is to provider %s but the plan's provider is %s.", id, r.Provider, provider)
	}
	before := r.view(s.Carriers)
	r.Subscription = subscription
	if err := timeline.Cancel(ctx, tx, KindDeleteDraft, r.ID); err != nil {
		return nil, err
	}
	if err := timeline.Schedule(ctx, tx, project, KindExpire, r.ID, now.Add(Expiry)); err != nil {
		return nil, err
	}
	if err := s.advance(ctx, tx, r, now); err != nil {
		return nil, err
	}
	if err := save(ctx, tx, r, false, now); err != nil {
		return nil, err
	}
	return r, events.RecordUpdate(ctx, tx, project, "porting.updated", r.ID, before, r.view(s.Carriers), now)
}

// advance moves a porting of a subscription on after its details
// changed: to pending and on its way to the carrier when complete, to
// informationRequired when not.
func (s *Service) advance(ctx context.Context, tx *store.Tx, r *Record, now time.Time) error {
	if len(r.required()) > 0 {
		r.Status = StatusInformationRequired
		return nil
	}
	r.Status = StatusPending
	_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: OpSend, Subject: r.ID, Target: r.Provider,
		Payload: ref{Porting: r.ID}, DueAt: now})
	return err
}

// SubscriptionOf reads, without a lock, the subscription a porting
// serves: callers lock that subscription before the porting
// (docs/concurrency.md).
func SubscriptionOf(ctx context.Context, q store.Querier, project, id string) (string, error) {
	var sub sql.NullString
	err := q.QueryRow(ctx, `SELECT subscription_id FROM portings WHERE id = ? AND project_id = ?`, id, project).Scan(&sub)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.NotFound("porting", id)
	}
	return sub.String, err
}

// Waiting reports whether the porting may still bring its number: a
// line waits for it until it completes, or takes a pool number once it
// is canceled.
func Waiting(ctx context.Context, q store.Querier, id string) (bool, error) {
	var status string
	err := q.QueryRow(ctx, `SELECT status FROM portings WHERE id = ?`, id).Scan(&status)
	return open(status), err
}

// Cancel withdraws a porting that is pending, waiting for information or
// with the carrier. It returns the subscription it served ("" for none).
func (s *Service) Cancel(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Porting, string, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, "", err
	}
	switch r.Status {
	case StatusPending, StatusInformationRequired, StatusRequested:
	case StatusCanceled:
		return nil, "", errs.Conflict("portingAlreadyCanceled", "The porting %s is already canceled.", id)
	default:
		return nil, "", errs.Conflict("portingNotCancelable", "The porting %s is %s; only a pending, informationRequired or requested porting can be canceled.", id, r.Status)
	}
	v, err := s.finish(ctx, tx, r, StatusCanceled, now)
	return v, r.Subscription, err
}

// CancelForSubscription cancels the open porting of a subscription that
// ended; a finished one is left alone.
func (s *Service) CancelForSubscription(ctx context.Context, tx *store.Tx, project, id string, now time.Time) error {
	r, err := load(ctx, tx, project, id)
	if err != nil || !open(r.Status) {
		return err
	}
	_, err = s.finish(ctx, tx, r, StatusCanceled, now)
	return err
}

// Expire ends a porting that has not completed in time. It reports
// whether it expired (false: it had finished already).
func (s *Service) Expire(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (bool, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil || !open(r.Status) {
		return false, err
	}
	_, err = s.finish(ctx, tx, r, StatusExpired, now)
	return err == nil, err
}

// finish cancels or expires r: its calls still waiting are dropped, the
// carrier withdraws it if it has it, and its PIN is forgotten.
func (s *Service) finish(ctx context.Context, tx *store.Tx, r *Record, status string, now time.Time) (*Porting, error) {
	before := r.view(s.Carriers)
	atCarrier := r.Status == StatusRequested
	for _, kind := range []string{OpSend, OpCheck} {
		if err := outbound.Cancel(ctx, tx, kind, r.ID, now); err != nil {
			return nil, err
		}
	}
	if err := timeline.Cancel(ctx, tx, KindExpire, r.ID); err != nil {
		return nil, err
	}
	if atCarrier {
		if _, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: OpCancel, Subject: r.ID, Target: r.Provider,
			Payload: ref{Porting: r.ID}, DueAt: now}); err != nil {
			return nil, err
		}
	}
	r.Status, r.AccountPIN = status, ""
	if status == StatusCanceled {
		r.CanceledAt = &now
	} else {
		r.ExpiredAt = &now
	}
	if err := save(ctx, tx, r, true, now); err != nil {
		return nil, err
	}
	after := r.view(s.Carriers)
	if status == StatusCanceled {
		return after, events.Record(ctx, tx, r.Project, "porting.canceled", r.ID, after, now)
	}
	return after, events.RecordUpdate(ctx, tx, r.Project, "porting.updated", r.ID, before, after, now)
}
