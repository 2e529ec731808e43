package outbound

import (
	"context"
	"database/sql"
	"time"

	"cellgate/internal/store"
)

// A test project's operations run when its clock advances, in due order
// among its timers, each at its due time: the clock advance asks NextDue
// for the earliest, moves the clock there and calls RunDue.

// NextDue returns the due time of a project's earliest pending operation
// due by upTo.
func (r *Runner) NextDue(ctx context.Context, project string, upTo time.Time) (time.Time, bool, error) {
	var due sql.NullInt64
	err := r.DB.QueryRow(ctx, `SELECT MIN(due_at) FROM operations WHERE project_id = ? AND status = 'pending' AND due_at <= ?`,
		project, store.Micros(upTo)).Scan(&due)
	if err != nil || !due.Valid {
		return time.Time{}, false, err
	}
	return store.Time(due.Int64), true, nil
}

// RunDue performs a test project's operations due by now, one at a time in
// due order; now is the project's clock. An operation another runner holds
// is waited for, so that when RunDue returns nothing due is left running.
func (r *Runner) RunDue(ctx context.Context, project string, now time.Time) (int, error) {
	ran := 0
	for {
		ops, err := r.claim(ctx, 1, `o.project_id = ? AND o.due_at <= ?`, project, store.Micros(now))
		if err != nil {
			return ran, err
		}
		if len(ops) == 1 {
			if err := r.run(ctx, ops[0], now); err != nil {
				return ran, err
			}
			ran++
			continue
		}
		held, err := r.heldElsewhere(ctx, project, now)
		if err != nil || !held {
			return ran, err
		}
		select {
		case <-ctx.Done():
			return ran, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// heldElsewhere reports whether a due operation of the project is leased
// by another runner right now.
func (r *Runner) heldElsewhere(ctx context.Context, project string, now time.Time) (bool, error) {
	var n int
	err := r.DB.QueryRow(ctx, `SELECT COUNT(*) FROM operations WHERE project_id = ? AND status = 'pending' AND due_at <= ? AND leased_until >= ?`,
		project, store.Micros(now), store.Micros(r.Wall())).Scan(&n)
	return n > 0, err
}
