package outbound

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// view is an operation as events and operators see it: the payload stays
// out, since it may carry what a line needs (numbers, ICCIDs).
type view struct {
	Object    string    `json:"object"`
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Subject   string    `json:"subject"`
	Target    string    `json:"target"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"lastError,omitempty"`
	DueAt     time.Time `json:"dueAt"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// View is the operation as operators and its failure event see it.
func (op Operation) View() any { return op.view() }

func (op Operation) view() view {
	return view{Object: "operation", ID: op.ID, Kind: op.Kind, Subject: op.Subject, Target: op.Target, Status: op.Status,
		Attempts: op.Attempts, LastError: op.LastError, DueAt: op.DueAt, CreatedAt: op.CreatedAt, UpdatedAt: op.UpdatedAt}
}

// List returns operations in a status ("" for all), newest first, at most
// limit.
func List(ctx context.Context, q store.Querier, status string, limit int) ([]Operation, error) {
	if status == "" {
		return store.All(ctx, q, scan, `SELECT `+columns+` FROM operations ORDER BY id DESC LIMIT ?`, limit)
	}
	return store.All(ctx, q, scan, `SELECT `+columns+` FROM operations WHERE status = ? ORDER BY id DESC LIMIT ?`, status, limit)
}

// Retry gives a failed operation a fresh set of attempts, due now on its
// project's clock. It keeps its id, so the outside system still sees the
// same idempotency key.
func Retry(ctx context.Context, tx *store.Tx, id string) (Operation, error) {
	op, now, err := lockFailed(ctx, tx, id)
	if err != nil {
		return op, err
	}
	_, err = tx.Exec(ctx, `UPDATE operations SET status = 'pending', retry_base = attempts, due_at = ?, updated_at = ? WHERE id = ?`,
		store.Micros(now), store.Micros(now), op.ID)
	tx.AfterCommit(wakeWorkers)
	op.Status, op.DueAt, op.UpdatedAt = StatusPending, now, now
	return op, err
}

// Drop cancels a failed operation for good: the call is not made.
func Drop(ctx context.Context, tx *store.Tx, id string) (Operation, error) {
	op, now, err := lockFailed(ctx, tx, id)
	if err != nil {
		return op, err
	}
	_, err = tx.Exec(ctx, `UPDATE operations SET status = 'canceled', updated_at = ? WHERE id = ?`, store.Micros(now), op.ID)
	op.Status, op.UpdatedAt = StatusCanceled, now
	return op, err
}

// lockFailed loads a failed operation for an operator's decision, with
// its project's current time.
func lockFailed(ctx context.Context, tx *store.Tx, id string) (Operation, time.Time, error) {
	op, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM operations WHERE id = ?`+tx.Dialect().ForUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return op, time.Time{}, errs.NotFound("operation", id)
	}
	if err != nil {
		return op, time.Time{}, fmt.Errorf("outbound: operation %s: %w", id, err)
	}
	if op.Status != StatusFailed {
		return op, time.Time{}, errs.Conflict("operationNotFailed", "The operation %s is %s; only failed operations can be retried or dropped.", id, op.Status)
	}
	now, err := projects.Now(ctx, tx, op.Project)
	return op, now, err
}

// FailLater records that the outside system reported, after answering,
// that the work of a succeeded operation failed (a carrier's callback):
// the operation is failed, with its event, and waits for an operator like
// any other. An operation in any other status is left alone.
func FailLater(ctx context.Context, tx *store.Tx, id, reason string, now time.Time) error {
	op, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM operations WHERE id = ?`+tx.Dialect().ForUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && op.Status != StatusSucceeded) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbound: operation %s: %w", id, err)
	}
	_, err = tx.Exec(ctx, `UPDATE operations SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?`, reason, store.Micros(now), id)
	if err != nil {
		return err
	}
	op.Status, op.LastError, op.UpdatedAt = StatusFailed, reason, now
	return events.Record(events.WithActor(ctx, events.System), tx, op.Project, EventFailed, op.ID, op.view(), now)
}
