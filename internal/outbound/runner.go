package outbound

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/signal"
	"cellgate/internal/store"
)

// Runner performs due operations.
type Runner struct {
	DB     *store.DB
	Kinds  Kinds
	Log    *slog.Logger
	Policy Policy
	// Wall is the wall clock; tests replace it.
	Wall    func() time.Time
	metrics *metrics
}

// NewRunner returns a runner with the default policy.
func NewRunner(db *store.DB, kinds Kinds, log *slog.Logger) *Runner {
	return &Runner{DB: db, Kinds: kinds, Log: log, Policy: DefaultPolicy, Wall: time.Now, metrics: newMetrics(db)}
}

// workers wakes this process's live runners when operations commit.
var workers = signal.New()

func wakeWorkers() { workers.Notify() }

// claimed is an operation a runner holds: Attempts is the number of the
// attempt it is making.
type claimed = Operation

// prefixed lists the operation columns of table alias o.
var prefixed = "o." + strings.ReplaceAll(columns, ", ", ", o.")

// inTurn holds for an operation with no earlier pending operation about
// the same subject: the calls about one line reach the outside system in
// the order they were decided (activate before deactivate, restrict before
// restore), whatever the retries and replicas.
const inTurn = `NOT EXISTS (SELECT 1 FROM operations e WHERE e.subject = o.subject AND e.status = 'pending' AND e.id < o.id)`

// claim leases up to n due operations matching cond and starts an attempt
// on each, in one transaction.
func (r *Runner) claim(ctx context.Context, n int, cond string, args ...any) ([]claimed, error) {
	wall := r.Wall()
	skip := ""
	if r.DB.Dialect() == store.Postgres {
		skip = " FOR UPDATE OF o SKIP LOCKED"
	}
	query := `SELECT ` + prefixed + ` FROM operations o JOIN projects p ON p.id = o.project_id
		WHERE o.status = 'pending' AND (o.leased_until IS NULL OR o.leased_until < ?) AND ` + inTurn + ` AND ` + cond +
		` ORDER BY o.due_at, o.id LIMIT ?` + skip
	var out []claimed
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		ops, err := store.All(ctx, tx, scan, query, append(append([]any{store.Micros(wall)}, args...), n)...)
		if err != nil {
			return err
		}
		lease := store.Micros(wall.Add(r.Policy.Lease))
		for i := range ops {
			ops[i].Attempts++
			if _, err := tx.Exec(ctx, `UPDATE operations SET attempts = ?, leased_until = ? WHERE id = ?`,
				ops[i].Attempts, lease, ops[i].ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO operation_attempts (operation_id, attempt, started_at) VALUES (?, ?, ?)`,
				ops[i].ID, ops[i].Attempts, store.Micros(wall)); err != nil {
				return err
			}
		}
		out = ops
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbound: claim: %w", err)
	}
	return out, nil
}

// perform makes one call with no transaction open.
func (r *Runner) perform(ctx context.Context, op claimed, now time.Time) (result any, err error) {
	kind, ok := r.Kinds[op.Kind]
	if !ok {
		return nil, PermanentError(fmt.Errorf("no handler for operation kind %q", op.Kind))
	}
	ctx, cancel := context.WithTimeout(ctx, r.Policy.CallTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("operation %s panicked: %v", op.Kind, p)
		}
	}()
	start := r.Wall()
	result, err = kind.Perform(ctx, op, now)
	r.metrics.seconds.WithLabelValues(op.Kind).Observe(r.Wall().Sub(start).Seconds())
	return result, err
}

// finish records the outcome of an attempt and applies its consequences in
// a new transaction. An attempt whose lease another runner has taken over
// is superseded: that runner's outcome counts.
func (r *Runner) finish(ctx context.Context, op claimed, result any, callErr error, now time.Time) error {
	outcome := ""
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		var (
			status   string
			attempts int
		)
		err := tx.QueryRow(ctx, `SELECT status, attempts FROM operations WHERE id = ?`+tx.Dialect().ForUpdate(), op.ID).Scan(&status, &attempts)
		if err != nil {
			return err
		}
		if status != StatusPending || attempts != op.Attempts {
			outcome = "superseded"
			return endAttempt(ctx, tx, op, outcome, "", r.Wall())
		}
		outcome, err = r.settle(ctx, tx, op, result, callErr, now)
		return err
	})
	if err == nil {
		r.metrics.attempts.WithLabelValues(op.Kind, outcome).Inc()
		return nil
	}
	if ctx.Err() != nil {
		return err // shutting down: the lease runs out and the call repeats
	}
	// Applying the outcome failed: count it as a failed attempt, so an
	// outcome that can never be applied ends failed instead of looping.
	applyErr := fmt.Errorf("applying the outcome: %w", err)
	err = r.DB.InTx(ctx, func(tx *store.Tx) error {
		outcome, err = r.settle(ctx, tx, op, nil, applyErr, now)
		return err
	})
	if err == nil {
		r.metrics.attempts.WithLabelValues(op.Kind, outcome).Inc()
	}
	return err
}

// settle writes the outcome of op's current attempt in tx and returns it:
// succeeded, retry or failed.
func (r *Runner) settle(ctx context.Context, tx *store.Tx, op claimed, result any, callErr error, now time.Time) (string, error) {
	kind := r.Kinds[op.Kind]
	wall := r.Wall()
	if callErr == nil {
		var raw string
		if kind.ApplyValue != nil {
			if err := kind.ApplyValue(ctx, tx, op, result, now); err != nil {
				return "", err
			}
		} else {
			raw = store.JSON(result)
			if err := kind.Apply(ctx, tx, op, []byte(raw), now); err != nil {
				return "", err
			}
		}
		switch {
		case kind.Stored != nil:
			raw = store.JSON(kind.Stored(result))
		case raw == "":
			raw = store.JSON(result)
		}
		_, err := tx.Exec(ctx, `UPDATE operations SET status = 'succeeded', result = ?, leased_until = NULL, last_error = NULL, updated_at = ? WHERE id = ?`,
			raw, store.Micros(now), op.ID)
		if err != nil {
			return "", err
		}
		return "succeeded", endAttempt(ctx, tx, op, "succeeded", "", wall)
	}
	msg := callErr.Error()
	if tries := op.Attempts - op.RetryBase; retryable(callErr) && tries < r.Policy.MaxAttempts {
		next := now.Add(r.Policy.backoff(tries))
		_, err := tx.Exec(ctx, `UPDATE operations SET due_at = ?, leased_until = NULL, last_error = ?, updated_at = ? WHERE id = ?`,
			store.Micros(next), msg, store.Micros(now), op.ID)
		if err != nil {
			return "", err
		}
		return "retry", endAttempt(ctx, tx, op, "retry", msg, wall)
	}
	if kind.Fail != nil {
		op.LastError = msg // the error it gives up on, for Fail to read
		if err := kind.Fail(ctx, tx, op, now); err != nil {
			return "", err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE operations SET status = 'failed', leased_until = NULL, last_error = ?, updated_at = ? WHERE id = ?`,
		msg, store.Micros(now), op.ID)
	if err != nil {
		return "", err
	}
	op.Status, op.LastError, op.UpdatedAt = StatusFailed, msg, now
	if err := events.Record(events.WithActor(ctx, events.System), tx, op.Project, EventFailed, op.ID, op.view(), now); err != nil {
		return "", err
	}
	if r.Log != nil {
		r.Log.WarnContext(ctx, "outbound operation failed", "operation", op.ID, "kind", op.Kind, "subject", op.Subject, "attempts", op.Attempts, "error", msg)
	}
	return "failed", endAttempt(ctx, tx, op, "failed", msg, wall)
}

func endAttempt(ctx context.Context, tx *store.Tx, op claimed, outcome, msg string, wall time.Time) error {
	var errText sql.NullString
	if msg != "" {
		errText = sql.NullString{String: msg, Valid: true}
	}
	_, err := tx.Exec(ctx, `UPDATE operation_attempts SET finished_at = ?, outcome = ?, error = ? WHERE operation_id = ? AND attempt = ?`,
		store.Micros(wall), outcome, errText, op.ID, op.Attempts)
	return err
}

// run performs a claimed operation and records its outcome.
func (r *Runner) run(ctx context.Context, op claimed, now time.Time) error {
	result, err := r.perform(ctx, op, now)
	if ctx.Err() != nil {
		return ctx.Err() // interrupted: the lease runs out and the call repeats
	}
	return r.finish(ctx, op, result, err, now)
}

// RunLive performs one round of the live projects' due operations, up to
// the policy's concurrency at once, and returns how many it claimed.
func (r *Runner) RunLive(ctx context.Context) (int, error) {
	now := r.Wall().UTC().Truncate(time.Second)
	ops, err := r.claim(ctx, r.Policy.Concurrency, `p.clock_now IS NULL AND o.due_at <= ?`, store.Micros(now))
	if err != nil || len(ops) == 0 {
		return 0, err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.run(ctx, op, now); err != nil && ctx.Err() == nil {
				mu.Lock()
				first = errors.Join(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(ops), first
}

// Work performs live operations until ctx ends: at once when this process
// commits new ones, otherwise every interval (other replicas' work, and
// retries coming due). Up to the policy's concurrency run at once; a slow
// call holds one slot, not the others. On return, every call it started
// has ended.
func (r *Runner) Work(ctx context.Context, interval time.Duration) {
	slots := make(chan struct{}, r.Policy.Concurrency)
	freed := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	poll := time.NewTimer(0)
	defer poll.Stop()
	for ctx.Err() == nil {
		wake := workers.Wait()
		free := cap(slots) - len(slots)
		var ops []claimed
		if free > 0 {
			now := r.Wall().UTC().Truncate(time.Second)
			var err error
			ops, err = r.claim(ctx, free, `p.clock_now IS NULL AND o.due_at <= ?`, store.Micros(now))
			if err != nil && ctx.Err() == nil {
				r.Log.ErrorContext(ctx, "outbound worker", "error", err)
			}
			for _, op := range ops {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := r.run(ctx, op, now); err != nil && ctx.Err() == nil {
						r.Log.ErrorContext(ctx, "outbound operation", "operation", op.ID, "kind", op.Kind, "error", err)
					}
					<-slots
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
			}
		}
		if free > 0 && len(ops) == free {
			continue // more may be due now
		}
		poll.Reset(interval)
		select {
		case <-wake:
		case <-poll.C:
		case <-freed:
		case <-ctx.Done():
		}
	}
}
