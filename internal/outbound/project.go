package outbound

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"cellgate/internal/store"
)

// A test project's operations run when its clock advances, in due order
// among its timers, each at its due time: the clock advance asks NextDue
// for the earliest, moves the clock there and calls RunDue.

// NextDue returns when a project's earliest pending operation due by upTo
// runs: its due time, or the project's clock if that is later.
func (r *Runner) NextDue(ctx context.Context, project string, upTo time.Time) (time.Time, bool, error) {
	var due, clock sql.NullInt64
	err := r.DB.QueryRow(ctx, `SELECT MIN(o.due_at), MIN(p.clock_now) FROM operations o JOIN projects p ON p.id = o.project_id
		WHERE o.project_id = ? AND o.status = 'pending' AND `+inTurn+` AND o.due_at <= ?`,
		project, store.Micros(upTo)).Scan(&due, &clock)
	if err != nil || !due.Valid {
		return time.Time{}, false, err
	}
	return store.Time(max(due.Int64, clock.Int64)), true, nil
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

// A request on a test project performs the calls it decided before it
// answers, at the project's clock, so that the next request sees their
// outcome and a test project replays the same way every time. Track marks
// the request's context; Enqueue notes the projects that got calls.

type trackKey struct{}

type tracked struct {
	mu       sync.Mutex
	projects []string
}

// Track returns ctx set to note the projects that Enqueue records calls
// for.
func Track(ctx context.Context) context.Context {
	return context.WithValue(ctx, trackKey{}, &tracked{})
}

func note(ctx context.Context, project string) {
	t, ok := ctx.Value(trackKey{}).(*tracked)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !slices.Contains(t.projects, project) {
		t.projects = append(t.projects, project)
	}
}

// RunTracked performs the due calls of the test projects that ctx noted,
// each at its project's clock. Live projects' calls are the worker's.
func (r *Runner) RunTracked(ctx context.Context) error {
	t, ok := ctx.Value(trackKey{}).(*tracked)
	if !ok {
		return nil
	}
	t.mu.Lock()
	list := slices.Clone(t.projects)
	t.mu.Unlock()
	for _, project := range list {
		var clock sql.NullInt64
		if err := r.DB.QueryRow(ctx, `SELECT clock_now FROM projects WHERE id = ?`, project).Scan(&clock); err != nil {
			return err
		}
		if !clock.Valid {
			continue
		}
		if _, err := r.RunDue(ctx, project, store.Time(clock.Int64)); err != nil {
			return err
		}
	}
	return nil
}
