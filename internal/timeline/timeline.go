// Package timeline runs scheduled domain work: activation, renewal, end,
// SIM retirement and, later, billing and porting steps. Each piece of work
// is a durable timer row; running it, making its change and deleting the
// row happen in one transaction, so a timer runs exactly once even across
// crashes and replicas.
//
// Live projects are driven by the wall clock through Worker. A test
// project's stored clock moves only through Advance, which runs every timer
// due up to the target, in due order, each at its own due time.
package timeline

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/ids"
	"cellgate/internal/memo"
	"cellgate/internal/store"
)

// TimerPrefix is the id prefix of timers.
const TimerPrefix = "tmr"

// Timer is one piece of scheduled work about a subject (a resource id).
type Timer struct {
	ID      string
	Project string
	// DueAt is when the timer runs next; after a failure, the retry time.
	DueAt   time.Time
	Kind    string
	Subject string
	// Attempts counts the failed runs; LastError and FailedAt describe the
	// latest. DeadAt is set once the timer has given up (see failures.go).
	Attempts  int
	LastError string
	FailedAt  time.Time
	DeadAt    time.Time
}

// Handler does the work of one timer inside tx. now is the time the work
// happens at: the timer's due time on a test clock, the wall clock (at or
// after the due time) on a live project.
type Handler func(ctx context.Context, tx *store.Tx, t Timer, now time.Time) error

// Handlers maps a timer kind to its handler.
type Handlers map[string]Handler

// Schedule adds a timer. Scheduling the same kind, subject and time twice
// keeps one timer, so retries cannot double the work.
func Schedule(ctx context.Context, tx *store.Tx, project, kind, subject string, due time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO timeline (id, project_id, due_at, kind, subject) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, subject, due_at) DO NOTHING`,
		ids.New(TimerPrefix), project, store.Micros(due), kind, subject)
	if err != nil {
		return fmt.Errorf("timeline: schedule %s for %s: %w", kind, subject, err)
	}
	NoteDue(ctx, due)
	return nil
}

// Cancel removes the pending timers of a kind for a subject. A timer that
// a worker has claimed right now (PostgreSQL) is left to it: waiting for
// it could deadlock with the worker, which claims its whole batch before
// it locks the subjects, and every handler checks the state it acts on,
// so a timer that runs after its subject changed does nothing.
func Cancel(ctx context.Context, tx *store.Tx, kind, subject string) error {
	query := `DELETE FROM timeline WHERE subject = ? AND kind = ?`
	if tx.Dialect() == store.Postgres {
		query = `DELETE FROM timeline WHERE id IN (SELECT id FROM timeline WHERE subject = ? AND kind = ? FOR UPDATE SKIP LOCKED)`
	}
	if _, err := tx.Exec(ctx, query, subject, kind); err != nil {
		return fmt.Errorf("timeline: cancel %s for %s: %w", kind, subject, err)
	}
	return nil
}

// Pending lists a subject's timers, soonest first (for tests and tools).
func Pending(ctx context.Context, q store.Querier, subject string) ([]Timer, error) {
	return queryTimers(ctx, q, `SELECT `+columns("")+` FROM timeline WHERE subject = ? ORDER BY due_at, id`, subject)
}

// columns lists what scanTimer reads, of the table aliased alias.
func columns(alias string) string {
	cols := []string{"id", "project_id", "due_at", "kind", "subject", "attempts", "last_error", "failed_at", "dead_at"}
	if alias != "" {
		for i, c := range cols {
			cols[i] = alias + "." + c
		}
	}
	return strings.Join(cols, ", ")
}

func scanTimer(row store.Scanner) (Timer, error) {
	var (
		t            Timer
		due          int64
		lastError    sql.NullString
		failed, dead sql.NullInt64
	)
	err := row.Scan(&t.ID, &t.Project, &due, &t.Kind, &t.Subject, &t.Attempts, &lastError, &failed, &dead)
	t.DueAt, t.LastError = store.Time(due), lastError.String
	if failed.Valid {
		t.FailedAt = store.Time(failed.Int64)
	}
	if dead.Valid {
		t.DeadAt = store.Time(dead.Int64)
	}
	return t, err
}

// batch tracks, while a batch of timers runs, the earliest timer scheduled
// by its handlers: one due before the next timer of the batch ends the batch
// early, so that due order holds.
type batch struct {
	earliest time.Time
}

// Memo returns the value stored under key for the current batch of timers,
// calling load the first time (see package memo). Handlers use it for
// reads that no timer work changes (a plan, a user), which many timers of
// one batch share, within one transaction (tx). Outside a batch it simply
// calls load.
func Memo[T any](ctx context.Context, tx store.Querier, key string, load func() (T, error)) (T, error) {
	return memo.Get(ctx, tx, key, load)
}

type batchKey struct{}

// run deletes one timer and executes it, inside tx. Deleting first means
// a handler may cancel its own kind freely. A timer that is gone was
// canceled by work earlier in the same batch (the batch's rows are locked
// against other runners), so it is skipped.
func (h Handlers) run(ctx context.Context, tx *store.Tx, t Timer, now time.Time) error {
	handler, ok := h[t.Kind]
	if !ok {
		return fmt.Errorf("timeline: no handler for timer kind %q", t.Kind)
	}
	res, err := tx.Exec(ctx, `DELETE FROM timeline WHERE id = ?`, t.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil
	}
	if err := handler(ctx, tx, t, now); err != nil {
		return fmt.Errorf("timeline: %s for %s: %w", t.Kind, t.Subject, err)
	}
	return nil
}

// NoteDue tells the batch of timers running in ctx, if any, that work is
// now due at due: a timer or an outbound operation the batch's own work
// scheduled. If it comes before the batch's next timer, the batch ends
// early so that everything runs in due order.
func NoteDue(ctx context.Context, due time.Time) {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok && (b.earliest.IsZero() || due.Before(b.earliest)) {
		b.earliest = due
	}
}
