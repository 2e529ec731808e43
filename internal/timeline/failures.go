package timeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// A timer whose work fails runs again later, on a bounded schedule; every
// failure is recorded on the row (attempts, last error, when). After
// MaxAttempts failed runs the timer is dead: it stays in the table, never
// runs, is counted by the cellgate_timers_dead metric and announced by a
// com.cellgate.timer.failed event, until an operator retries or drops it
// (cellgate timers retry|drop). docs/time.md has the schedule.

// MaxAttempts is how many times a timer's work runs before it gives up.
const MaxAttempts = 10

// EventFailed is recorded when a timer gives up. It is cellgate's own
// type, outside the com.gigs. namespace.
const EventFailed = events.CellgatePrefix + "timer.failed"

func init() { events.Register(EventFailed) }

// Backoff is the wait before the next run after the nth failed one: one
// minute, doubled after each failure, at most an hour (1, 2, 4, 8, 16, 32,
// 60, 60, 60 minutes: the tenth run comes about four hours after the first).
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return time.Hour
	}
	return min(time.Minute<<(n-1), time.Hour)
}

// attempt is one failed run of a timer: the row as it was read, the time
// the work ran at (project clock) and why it failed.
type attempt struct {
	timer Timer
	now   time.Time
	err   error
}

// maxErrorLen bounds the stored error text.
const maxErrorLen = 1000

// recordFailure counts a failed run on the timer in a transaction of its
// own (the run's transaction was rolled back): it is put off by Backoff,
// or declared dead after MaxAttempts. It returns the timer as it now
// stands, or nil when the row changed since the run read it (another
// runner ran, failed or canceled it), in which case there is nothing to
// record.
func (r *Runner) recordFailure(ctx context.Context, a attempt) (*Timer, error) {
	t := a.timer
	t.Attempts++
	t.LastError, t.FailedAt = a.err.Error(), a.now
	if len(t.LastError) > maxErrorLen {
		t.LastError = t.LastError[:maxErrorLen]
	}
	var recorded bool
	err := r.DB.InTx(events.WithActor(ctx, events.System), func(tx *store.Tx) error {
		recorded = false
		due, dead := a.now.Add(Backoff(t.Attempts)), any(nil)
		if t.Attempts >= MaxAttempts {
			due, dead = a.timer.DueAt, store.Micros(a.now)
		} else {
			var err error
			if due, err = freeSlot(ctx, tx, t, due); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `UPDATE timeline SET due_at = ?, attempts = ?, last_error = ?, failed_at = ?, dead_at = ?
			WHERE id = ? AND due_at = ? AND attempts = ? AND dead_at IS NULL`,
			store.Micros(due), t.Attempts, t.LastError, store.Micros(a.now), dead,
			t.ID, store.Micros(a.timer.DueAt), a.timer.Attempts)
		if err != nil {
			return fmt.Errorf("timeline: record the failure of %s: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		recorded, t.DueAt = true, due
		if dead != nil {
			t.DeadAt = a.now
			return events.Record(ctx, tx, t.Project, EventFailed, t.ID, t.View(), a.now)
		}
		return nil
	})
	if err != nil || !recorded {
		return nil, err
	}
	r.countFailure(t.Kind)
	return &t, nil
}

// freeSlot returns the first whole second from due at which no other timer
// of the same kind and subject waits: (kind, subject, due_at) is unique.
func freeSlot(ctx context.Context, tx *store.Tx, t Timer, due time.Time) (time.Time, error) {
	for {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM timeline WHERE kind = ? AND subject = ? AND due_at = ? AND id <> ?`,
			t.Kind, t.Subject, store.Micros(due), t.ID).Scan(&n); err != nil {
			return due, err
		}
		if n == 0 {
			return due, nil
		}
		due = due.Add(time.Second)
	}
}

// FailedError is what Advance returns when timers failed on the way; the
// clock has moved all the same.
type FailedError struct {
	Failures []Timer
}

func (e *FailedError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, t := range e.Failures {
		parts[i] = fmt.Sprintf("%s %s for %s (%d attempts): %s", t.ID, t.Kind, t.Subject, t.Attempts, t.LastError)
	}
	return "timeline: timers failed: " + strings.Join(parts, "; ")
}

// Timer statuses, as View shows them.
const (
	StatusPending  = "pending"
	StatusRetrying = "retrying"
	StatusDead     = "dead"
)

// View is a timer as the API, the command line and the timer.failed event
// show it.
type View struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Project string `json:"project"`
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	// Status is pending, retrying (failed, runs again at dueAt) or dead.
	Status    string     `json:"status"`
	DueAt     *time.Time `json:"dueAt"`
	Attempts  int        `json:"attempts"`
	LastError *string    `json:"lastError"`
	FailedAt  *time.Time `json:"failedAt"`
	DeadAt    *time.Time `json:"deadAt"`
}

// View renders the timer; a dead timer has no next run.
func (t Timer) View() View {
	v := View{Object: "timer", ID: t.ID, Project: t.Project, Kind: t.Kind, Subject: t.Subject, Status: StatusPending, Attempts: t.Attempts}
	if t.LastError != "" {
		v.LastError = &t.LastError
	}
	if !t.FailedAt.IsZero() {
		v.FailedAt = ptr(t.FailedAt.UTC())
	}
	if t.Attempts > 0 {
		v.Status = StatusRetrying
	}
	if t.DeadAt.IsZero() {
		v.DueAt = ptr(t.DueAt.UTC())
	} else {
		v.DeadAt, v.Status = ptr(t.DeadAt.UTC()), StatusDead
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// Failed lists the timers that have failed at least once (dead only when
// deadOnly), of one project unless project is empty, oldest failure
// first.
func Failed(ctx context.Context, q store.Querier, project string, deadOnly bool) ([]Timer, error) {
	query := `SELECT ` + columns("") + ` FROM timeline WHERE attempts > 0`
	var args []any
	if deadOnly {
		query += ` AND dead_at IS NOT NULL`
	}
	if project != "" {
		query += ` AND project_id = ?`
		args = append(args, project)
	}
	return queryTimers(ctx, q, query+` ORDER BY failed_at, id`, args...)
}

// deadTimer locks a dead timer; another one is a conflict, a missing one
// notFound.
func deadTimer(ctx context.Context, tx *store.Tx, id string) (Timer, error) {
	ts, err := queryTimers(ctx, tx, `SELECT `+columns("")+` FROM timeline WHERE id = ?`+tx.Dialect().ForUpdate(), id)
	if err != nil {
		return Timer{}, err
	}
	if len(ts) == 0 {
		return Timer{}, errs.NotFound("timer", id)
	}
	if ts[0].DeadAt.IsZero() {
		return Timer{}, errs.Conflict("timerNotDead", "Timer %q has not given up (status %s); only a dead timer can be retried or dropped.", id, ts[0].View().Status)
	}
	return ts[0], nil
}

// Retry brings a dead timer back: due now on its project's clock, with
// MaxAttempts runs ahead of it again. Its last error stays until it runs.
func Retry(ctx context.Context, tx *store.Tx, id string) (Timer, error) {
	t, err := deadTimer(ctx, tx, id)
	if err != nil {
		return t, err
	}
	now, err := projects.Now(ctx, tx, t.Project)
	if err != nil {
		return t, err
	}
	if now, err = freeSlot(ctx, tx, t, now); err != nil {
		return t, err
	}
	if _, err := tx.Exec(ctx, `UPDATE timeline SET due_at = ?, attempts = 0, dead_at = NULL WHERE id = ?`, store.Micros(now), id); err != nil {
		return t, fmt.Errorf("timeline: retry %s: %w", id, err)
	}
	t.DueAt, t.Attempts, t.DeadAt = now, 0, time.Time{}
	return t, nil
}

// Drop deletes a dead timer: its work will not be done.
func Drop(ctx context.Context, tx *store.Tx, id string) (Timer, error) {
	t, err := deadTimer(ctx, tx, id)
	if err != nil {
		return t, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM timeline WHERE id = ?`, id); err != nil {
		return t, fmt.Errorf("timeline: drop %s: %w", id, err)
	}
	return t, nil
}

// IsFailed reports whether err is Advance's report of failed timers.
func IsFailed(err error) bool {
	var f *FailedError
	return errors.As(err, &f)
}
