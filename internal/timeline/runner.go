package timeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/clock"
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
	// failures counts failed runs once Register has published it.
	failures *prometheus.CounterVec
	// Operations, when set, are the calls to outside systems that a test
	// project's clock advance performs in due order among its timers.
	Operations Operations
}

// Operations is what a clock advance needs of the outbound runner.
type Operations interface {
	// NextDue is the due time of the project's next call due by upTo.
	NextDue(ctx context.Context, project string, upTo time.Time) (time.Time, bool, error)
	// RunDue performs the project's calls due by now, the project's clock.
	RunDue(ctx context.Context, project string, now time.Time) (int, error)
}

// Advance moves a test project's clock to target, running every timer due
// up to target in due order, each at its own due time, including timers
// that the work itself schedules within the window. It returns the number
// of timers run. Time never moves backwards, and live projects have no
// clock to move. A timer that fails does not stop the advance (see
// AdvanceReport); Advance reports it as a *FailedError, after the clock
// has moved.
//
// Calls to outside systems due in the window run in the same order: the
// clock stops at each call's due time, the call is made with no
// transaction open, and its outcome is applied before time moves on.
func (r *Runner) Advance(ctx context.Context, project string, target time.Time) (int, error) {
	rep, err := r.AdvanceReport(ctx, project, target)
	if err == nil && len(rep.Failures) > 0 {
		err = &FailedError{Failures: rep.Failures}
	}
	return rep.Ran, err
}

// Report is what an advance did: the timers it ran and those that failed,
// each as it stands after its last failure in the window (retrying later,
// or dead).
type Report struct {
	Ran      int
	Failures []Timer
}

// MaxAdvance bounds one advance of a test clock, so a typo cannot start
// decades of work.
const MaxAdvance = 5 * 366 * 24 * time.Hour

// AdvanceReport is Advance, with failing timers in the report rather than
// in the error. A failure rolls back that timer's batch, is recorded on
// the timer (see failures.go) and the advance goes on: the timer runs
// again at its retry time if that is inside the window, until it is dead.
func (r *Runner) AdvanceReport(ctx context.Context, project string, target time.Time) (Report, error) {
	var rep Report
	seen := map[string]int{}
	for {
		stop, call, err := r.nextCall(ctx, project, target)
		if err != nil {
			return rep, err
		}
		n, done, failed, err := r.advanceBatch(ctx, project, stop)
		rep.Ran += n
		if err != nil {
			return rep, err
		}
		if failed != nil {
			t, err := r.recordFailure(ctx, *failed)
			if err != nil {
				return rep, err
			}
			if t == nil {
				continue // another advance ran or failed it meanwhile
			}
			if i, ok := seen[t.ID]; ok {
				rep.Failures[i] = *t
			} else {
				seen[t.ID] = len(rep.Failures)
				rep.Failures = append(rep.Failures, *t)
			}
			continue
		}
		if !done {
			continue
		}
		if !call {
			return rep, r.stillFailing(ctx, &rep)
		}
		if _, err := r.Operations.RunDue(ctx, project, stop); err != nil {
			return rep, err
		}
	}
}

// nextCall returns where the clock stops next: the due time of the next
// call to an outside system within target, or target itself.
func (r *Runner) nextCall(ctx context.Context, project string, target time.Time) (time.Time, bool, error) {
	if r.Operations == nil {
		return target, false, nil
	}
	due, ok, err := r.Operations.NextDue(ctx, project, target)
	if err != nil || !ok {
		return target, false, err
	}
	return due, true, nil
}

// stillFailing keeps in the report the timers that are failing when the
// advance ends: one that failed and then ran in the window is gone.
func (r *Runner) stillFailing(ctx context.Context, rep *Report) error {
	kept := rep.Failures[:0]
	for _, f := range rep.Failures {
		ts, err := queryTimers(ctx, r.DB, `SELECT `+columns("")+` FROM timeline WHERE id = ? AND attempts > 0`, f.ID)
		if err != nil {
			return err
		}
		kept = append(kept, ts...)
	}
	rep.Failures = kept
	return nil
}

// errTimerFailed rolls back the batch of a timer whose work failed.
var errTimerFailed = errors.New("timeline: timer failed")

func (r *Runner) advanceBatch(ctx context.Context, project string, target time.Time) (ran int, done bool, failed *attempt, err error) {
	b := &batch{}
	var moved time.Time // where the committed batch left the clock
	// Scheduled work is the platform's doing, whoever moved the clock.
	bctx := context.WithValue(memo.Scope(events.WithActor(ctx, events.System)), batchKey{}, b)
	err = r.DB.InTx(ctx, func(tx *store.Tx) error {
		ran, done, failed, b.earliest = 0, false, nil, time.Time{} // the transaction may run again
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
		timers, err := queryTimers(ctx, tx, `SELECT `+columns("")+` FROM timeline
			WHERE project_id = ? AND due_at <= ? AND dead_at IS NULL ORDER BY due_at, id LIMIT ?`, project, store.Micros(target), BatchSize)
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
					if ctx.Err() != nil {
						return err // the caller is gone: not the timer's fault
					}
					failed = &attempt{timer: t, now: now, err: err}
					// Wrapped, so that a deadlock still makes InTx run the
					// batch again rather than count a failure.
					return fmt.Errorf("%w: %w", errTimerFailed, err)
				}
				ran++
				reached = now
			}
		}
		moved = reached
		_, err = tx.Exec(ctx, `UPDATE projects SET clock_now = ? WHERE id = ? AND clock_now < ?`,
			store.Micros(reached), project, store.Micros(reached))
		return err
	})
	if failed != nil && errors.Is(err, errTimerFailed) {
		return 0, false, failed, nil
	}
	if err == nil {
		if f, ok := ctx.Value(progressKey{}).(Progress); ok {
			f(moved, ran)
		}
	}
	return ran, done, nil, err
}

// Progress hears, after each committed batch of an advance, where the
// clock stands and how many timers the batch ran.
type Progress func(clock time.Time, ran int)

type progressKey struct{}

// WithProgress makes the advances run with ctx report to f, for a
// progress bar over a long advance.
func WithProgress(ctx context.Context, f Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
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
// each timer runs on exactly one of them. A failing timer is recorded and
// retried later (see failures.go); the error is only what could not be
// recorded.
func (r *Runner) RunDue(ctx context.Context, now time.Time) (int, error) {
	lock := ""
	if r.DB.Dialect() == store.Postgres {
		lock = " FOR UPDATE OF t SKIP LOCKED"
	}
	query := `SELECT ` + columns("t") + ` FROM timeline t
		JOIN projects p ON p.id = t.project_id
		WHERE p.clock_now IS NULL AND t.due_at <= ? AND t.dead_at IS NULL ORDER BY t.due_at, t.id LIMIT ?` + lock
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
	if err == nil || failed == nil || ctx.Err() != nil {
		return ran, err
	}
	return r.runOneByOne(ctx, failed, now)
}

func (r *Runner) runOneByOne(ctx context.Context, timers []Timer, now time.Time) (int, error) {
	ran := 0
	var lost []error
	for _, t := range timers {
		err := r.DB.InTx(ctx, func(tx *store.Tx) error {
			var one int
			// Still there and unchanged: not run, nor failed and put off,
			// by another replica meanwhile.
			if err := tx.QueryRow(ctx, `SELECT 1 FROM timeline WHERE id = ? AND due_at = ? AND dead_at IS NULL`+tx.Dialect().ForUpdate(),
				t.ID, store.Micros(t.DueAt)).Scan(&one); err != nil {
				return err
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
		if ctx.Err() != nil {
			return ran, ctx.Err()
		}
		after, rerr := r.recordFailure(ctx, attempt{timer: t, now: now, err: err})
		if rerr != nil {
			lost = append(lost, fmt.Errorf("timeline: record the failure of %s (%v): %w", t.ID, err, rerr))
			continue
		}
		if after != nil {
			r.Log.ErrorContext(ctx, "timer failed", "timer", t.ID, "kind", t.Kind, "subject", t.Subject,
				"attempts", after.Attempts, "dead", !after.DeadAt.IsZero(), "error", err)
		}
	}
	return ran, errors.Join(lost...)
}

// Work runs live timers until ctx ends, polling every interval and
// draining whatever is due without waiting in between.
func (r *Runner) Work(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		for {
			n, err := r.RunDue(ctx, clock.Wall())
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
