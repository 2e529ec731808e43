package outbound

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
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
func Retry(ctx context.Context, db *store.DB, id string, wall time.Time) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		op, now, err := lockFailed(ctx, tx, id, wall)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE operations SET status = 'pending', retry_base = attempts, due_at = ?, updated_at = ? WHERE id = ?`,
			store.Micros(now), store.Micros(now), op.ID)
		tx.AfterCommit(wakeWorkers)
		return err
	})
}

// Drop cancels a failed operation for good: the call is not made.
func Drop(ctx context.Context, db *store.DB, id string, wall time.Time) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		op, now, err := lockFailed(ctx, tx, id, wall)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE operations SET status = 'canceled', updated_at = ? WHERE id = ?`, store.Micros(now), op.ID)
		return err
	})
}

// lockFailed loads a failed operation for an operator's decision, with its
// project's current time.
func lockFailed(ctx context.Context, tx *store.Tx, id string, wall time.Time) (Operation, time.Time, error) {
	op, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM operations WHERE id = ?`+tx.Dialect().ForUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return op, wall, errs.NotFound("operation", id)
	}
	if err != nil {
		return op, wall, err
	}
	if op.Status != StatusFailed {
		return op, wall, errs.Conflict("operationNotFailed", "The operation %s is %s; only failed operations can be retried or dropped.", id, op.Status)
	}
	var clock sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT clock_now FROM projects WHERE id = ?`, op.Project).Scan(&clock); err != nil {
		return op, wall, fmt.Errorf("outbound: project of %s: %w", id, err)
	}
	now := wall.UTC().Truncate(time.Second)
	if clock.Valid {
		now = store.Time(clock.Int64)
	}
	return op, now, nil
}
