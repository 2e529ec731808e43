package subscriptions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/sims"
	"cellgate/internal/store"
)

// LastUsedWindow is how recently the last subscription must have ended for
// preferLastUsed to reuse its SIM (seed 002).
const LastUsedWindow = 90 * 24 * time.Hour

// usable checks that a SIM can carry a new subscription of plan for user.
func usable(ctx context.Context, q store.Querier, r *sims.Record, plan *catalog.Plan, userID string) error {
	switch {
	case r.Status == sims.StatusRetired:
		return errs.Invalid("simRetired", "The SIM %s is retired and cannot be used again.", r.ID)
	case r.Provider != plan.Provider:
		return errs.Invalid("simProviderMismatch", "The SIM %s belongs to provider %s, but the plan %s runs on %s.", r.ID, r.Provider, plan.ID, plan.Provider)
	case !plan.HasSIMType(r.Type):
		return errs.Invalid("simTypeNotSupported", "The SIM %s is an %s, which the plan %s does not support.", r.ID, r.Type, plan.ID)
	case r.UserID != "" && r.UserID != userID:
		return errs.Conflict("simAlreadyUsed", "The SIM %s has been used by another user.", r.ID)
	}
	busy, err := inUse(ctx, q, r.ID)
	if err != nil {
		return err
	}
	if busy || r.Status != sims.StatusInactive {
		return errs.Conflict("simAlreadyUsed", "The SIM %s is in use by another subscription.", r.ID)
	}
	return nil
}

// inUse reports whether a subscription that has not ended holds the SIM.
func inUse(ctx context.Context, q store.Querier, simID string) (bool, error) {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM subscriptions WHERE sim_id = ? AND status <> 'ended' LIMIT 1`, simID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("subscriptions: SIM in use: %w", err)
	}
	return true, nil
}

// lastUsedSIM picks the SIM of the user's most recently ended subscription
// when every eligibility rule of seed 002 holds; otherwise it falls back to
// a new eSIM, which only eSIM-capable plans can take.
func (s *Service) lastUsedSIM(ctx context.Context, tx *store.Tx, project string, plan *catalog.Plan, userID string, now time.Time) (*sims.Record, error) {
	r, why, err := lastUsedCandidate(ctx, tx, project, plan, userID, now)
	if err != nil {
		return nil, err
	}
	if r != nil {
		return r, nil
	}
	if !plan.HasSIMType(sims.TypeESIM) {
		return nil, errs.Invalid("simNotEligible", "No SIM of the user can be reused (%s), and the plan %s needs a physical SIM, so there is nothing to fall back to.", why, plan.ID).
			WithHint("Pass the id of an inactive pSIM instead.")
	}
	return sims.ProvisionESIM(ctx, tx, s.Carriers, project, plan.Provider, now)
}

// lastUsedCandidate returns the reusable SIM, or nil and the reason none is.
func lastUsedCandidate(ctx context.Context, tx *store.Tx, project string, plan *catalog.Plan, userID string, now time.Time) (*sims.Record, string, error) {
	var (
		simID string
		ended int64
	)
	err := tx.QueryRow(ctx, `SELECT sim_id, ended_at FROM subscriptions WHERE project_id = ? AND user_id = ? AND status = 'ended'
		AND sim_id IS NOT NULL AND ended_at IS NOT NULL ORDER BY ended_at DESC, id DESC LIMIT 1`, project, userID).Scan(&simID, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "the user has no ended subscription", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("subscriptions: last used SIM: %w", err)
	}
	if now.Sub(store.Time(ended)) > LastUsedWindow {
		return nil, "the last subscription ended more than 90 days ago", nil
	}
	r, err := sims.GetRecord(ctx, tx, project, simID)
	if err != nil {
		return nil, "", err
	}
	if err := usable(ctx, tx, r, plan, userID); err != nil {
		e, _ := errs.As(err)
		if e == nil {
			return nil, "", err
		}
		return nil, e.Message, nil
	}
	return r, "", nil
}
