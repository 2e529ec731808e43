package timeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/memo"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// BatchSize bounds how many timers one transaction runs: large enough to
// amortise commits, small enough to keep transactions short.
const BatchSize = 200

// Runner executes due timers.
type Runner struct {
	DB       *store.DB
	Handlers Handlers
	Log      *slog.Logger
}

// Advance moves a test project's clock to target, running every timer due
// up to target in due order, each at its own due time, including timers
// that the work itself schedules within the window. It returns the number
// of timers run. Time never moves backwards, and live projects have no
// clock to move.
func (r *Runner) Advance(ctx context.Context, project string, target time.Time) (int, error) {
	total := 0
	for {
		n, done, err := r.advanceBatch(ctx, project, target)
		total += n
		if err != nil || done {
			return total, err
		}
	}
}

func (r *Runner) advanceBatch(ctx context.Context, project string, target time.Time) (ran int, done bool, err error) {
	b := &batch{}
	// Scheduled work is the platform's doing, whoever moved the clock.
	bctx := context.WithValue(memo.Scope(events.WithActor(ctx, events.System)), batchKey{}, b)
	err = r.DB.InTx(ctx, func(tx *store.Tx) error {
		ran, done, b.earliest = 0, false, time.Time{} // the transaction may run again
		// Lock the clock: concurrent advances take turns, and requests of
		// the project, which read the clock under the shared clock lock,
		// see a clock that matches the state. NO KEY keeps inserts that
		// merely reference the project (events) from waiting on the row.
		if err := projects.LockClock(ctx, tx, project); err != nil {
			return err
		}
		var clock sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT clock_now FROM projects WHERE id = ?`+tx.Dialect().ForNoKeyUpdate(), project).Scan(&clock)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound("project", project)
		}
		if err != nil {
			return err
		}
		if !clock.Valid {
			return errs.PermissionDenied("liveProjectClock", "Project %q is a live project: its clock is the wall clock and cannot be moved.", project)
		}
		current := store.Time(clock.Int64)
		if target.Before(current) {
			return errs.Invalid("clockCannotGoBack", "Time never moves backwards: the clock is at %s, after %s.",
				current.Format(time.RFC3339), target.Format(time.RFC3339))
		}
		timers, err := queryTimers(ctx, tx, `SELECT id, project_id, due_at, kind, subject FROM timeline
			WHERE project_id = ? AND due_at <= ? ORDER BY due_at, id LIMIT ?`, project, store.Micros(target), BatchSize)
		if err != nil {
			return err
		}
		reached := target
		if len(timers) == 0 {
			done = true
		} else {
			for _, t := range timers {
				if !b.earliest.IsZero() && b.earliest.Before(t.DueAt) {
					break // work just scheduled comes first: fetch again
				}
				now := t.DueAt
				if now.Before(current) {
					now = current
				}
				if err := r.Handlers.run(bctx, tx, t, now); err != nil {
					return err
				}
				ran++
				reached = now
			}
		}
		_, err = tx.Exec(ctx, `UPDATE projects SET clock_now = ? WHERE id = ? AND clock_now < ?`,
			store.Micros(reached), project, store.Micros(reached))
		return err
	})
	return ran, done, err
}

// queryTimers reads timers in full before any runs, so that no reading
// cursor stays open while the work writes on the same connection.
func queryTimers(ctx context.Context, q store.Querier, query string, args ...any) ([]Timer, error) {
	timers, err := store.All(ctx, q, scanTimer, query, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: read due timers: %w", err)
	}
	return timers, nil
}

// RunDue runs up to one batch of the live projects' timers that are due by
// now. On PostgreSQL, replicas skip the rows another replica has locked, so
// each timer runs on exactly one of them.
func (r *Runner) RunDue(ctx context.Context, now time.Time) (int, error) {
	lock := ""
	if r.DB.Dialect() == store.Postgres {
		lock = " FOR UPDATE OF t SKIP LOCKED"
	}
	query := `SELECT t.id, t.project_id, t.due_at, t.kind, t.subject FROM timeline t
		JOIN projects p ON p.id = t.project_id
		WHERE p.clock_now IS NULL AND t.due_at <= ? ORDER BY t.due_at, t.id LIMIT ?` + lock
	ctx = events.WithActor(ctx, events.System)
	ran := 0
	ctx = context.WithValue(memo.Scope(ctx), batchKey{}, &batch{})
	var failed []Timer
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		ran = 0
		timers, err := queryTimers(ctx, tx, query, store.Micros(now), BatchSize)
		if err != nil {
			return err
		}
		for _, t := range timers {
			if err := r.Handlers.run(ctx, tx, t, now); err != nil {
				// One bad timer must not hold the others back: run the batch
				// again one timer per transaction.
				failed = timers
				return err
			}
			ran++
		}
		return nil
	})
	if err == nil || failed == nil {
		return ran, err
	}
	return r.runOneByOne(ctx, failed, now), nil
}

// RetryDelay is how long a failing live timer waits before its next try.
const RetryDelay = time.Minute

func (r *Runner) runOneByOne(ctx context.Context, timers []Timer, now time.Time) int {
	ran := 0
	for _, t := range timers {
		err := r.DB.InTx(ctx, func(tx *store.Tx) error {
			var one int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM timeline WHERE id = ?`+tx.Dialect().ForUpdate(), t.ID).Scan(&one); err != nil {
				return err // gone: another replica ran it
			}
			return r.Handlers.run(ctx, tx, t, now)
		})
		if err == nil {
			ran++
			continue
		}
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		r.Log.ErrorContext(ctx, "timer failed; retrying later", "timer", t.ID, "kind", t.Kind, "subject", t.Subject, "error", err)
		_, _ = r.DB.Exec(ctx, `UPDATE timeline SET due_at = ? WHERE id = ?`, store.Micros(now.Add(RetryDelay)), t.ID)
	}
	return ran
}

// Work runs live timers until ctx ends, polling every interval and
// draining whatever is due without waiting in between.
func (r *Runner) Work(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		for {
			n, err := r.RunDue(ctx, time.Now().UTC())
			if err != nil {
				if ctx.Err() == nil {
					r.Log.ErrorContext(ctx, "timeline worker", "error", err)
				}
				break
			}
			if n < BatchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
