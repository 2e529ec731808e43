// Package outbound records the calls cellgate must make to systems outside
// it (carriers now; payment providers and porting later) and performs them
// after the deciding transaction has committed.
//
// The transaction that decides a call writes an operation row. A worker
// claims the row with a lease, calls the outside system with the
// operation's id as idempotency key and no transaction open, and a new
// transaction applies the outcome. A crash between the call and the outcome
// repeats the call with the same key, which the outside system answers
// without doing the work twice. Failures are retried on a bounded backoff;
// an operation that runs out of attempts is failed, visibly: an event, a
// metric, and an operator command to retry it (docs/outbound.md).
package outbound

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

// Prefix is the id prefix of operations.
const Prefix = "op"

// Statuses of an operation.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCanceled  = "canceled"
)

// EventFailed is recorded when an operation gives up: cellgate's own
// event, outside the com.gigs. namespace.
const EventFailed = events.CellgatePrefix + "operation.failed"

func init() { events.Register(EventFailed) }

// Operation is one call to an outside system.
type Operation struct {
	ID      string `json:"id"`
	Project string `json:"project"`
	Kind    string `json:"kind"`
	// Subject is the resource the call is about.
	Subject string `json:"subject"`
	// Target names the outside system, such as a provider id.
	Target   string          `json:"target"`
	Payload  json.RawMessage `json:"payload"`
	Status   string          `json:"status"`
	DueAt    time.Time       `json:"dueAt"`
	Attempts int             `json:"attempts"`
	// RetryBase is Attempts when an operator last retried the operation.
	RetryBase int             `json:"-"`
	LastError string          `json:"lastError,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// IdempotencyKey is the key every attempt of the operation sends: the
// same call, whatever the attempt.
func (op Operation) IdempotencyKey() string { return op.ID }

// Decode reads the payload into v.
func (op Operation) Decode(v any) error {
	if err := json.Unmarshal(op.Payload, v); err != nil {
		return fmt.Errorf("outbound: %s payload: %w", op.Kind, err)
	}
	return nil
}

// Kind says how one kind of operation is performed and what its outcome
// changes.
type Kind struct {
	// Perform calls the outside system. No transaction is open. now is the
	// project's clock; the returned value is stored as the result.
	Perform func(ctx context.Context, op Operation, now time.Time) (any, error)
	// Apply records a success in tx. result is what Perform returned, as
	// JSON.
	Apply func(ctx context.Context, tx *store.Tx, op Operation, result json.RawMessage, now time.Time) error
	// ApplyValue, when set, is used instead of Apply with the value Perform
	// returned as it is, not as JSON: a usage batch of a thousand records
	// skips an encoding and a decoding.
	ApplyValue func(ctx context.Context, tx *store.Tx, op Operation, result any, now time.Time) error
	// Fail, when set, records the consequences of giving up in tx.
	Fail func(ctx context.Context, tx *store.Tx, op Operation, now time.Time) error
	// Stored, when set, is what the operation keeps as its result (given
	// what Perform returned) once Apply has taken it all: a usage batch is
	// summed up, not kept.
	Stored func(result any) any
}

// Kinds maps an operation kind to how it runs.
type Kinds map[string]Kind

// Request is an operation to record.
type Request struct {
	Project, Kind, Subject, Target string
	Payload                        any
	// DueAt is when to call, on the project's clock: now for most calls.
	DueAt time.Time
}

// Enqueue records an operation in the deciding transaction. It is
// performed once that transaction commits; if it rolls back, the call is
// never made.
func Enqueue(ctx context.Context, tx *store.Tx, r Request) (string, error) {
	id := ids.New(Prefix)
	_, err := tx.Exec(ctx, `INSERT INTO operations (id, project_id, kind, subject, target, payload, status, due_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
		id, r.Project, r.Kind, r.Subject, r.Target, store.JSON(r.Payload), store.Micros(r.DueAt),
		store.Micros(r.DueAt), store.Micros(r.DueAt))
	if err != nil {
		return "", fmt.Errorf("outbound: record %s for %s: %w", r.Kind, r.Subject, err)
	}
	// A clock advance running timers must stop before the next timer and
	// perform this call first, so that due order holds.
	timeline.NoteDue(ctx, r.DueAt)
	note(ctx, r.Project)
	tx.AfterCommit(wakeWorkers)
	return id, nil
}

// Cancel drops the pending operations of a kind for a subject that no
// worker holds right now. One that is being performed runs to its end;
// every Apply checks the state it acts on.
func Cancel(ctx context.Context, tx *store.Tx, kind, subject string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE operations SET status = 'canceled', updated_at = ?
		WHERE subject = ? AND kind = ? AND status = 'pending' AND leased_until IS NULL`,
		store.Micros(now), subject, kind)
	if err != nil {
		return fmt.Errorf("outbound: cancel %s for %s: %w", kind, subject, err)
	}
	return nil
}

const columns = `id, project_id, kind, subject, target, payload, status, due_at, attempts, retry_base, last_error, result, created_at, updated_at`

func scan(row store.Scanner) (Operation, error) {
	var (
		op                    Operation
		payload               string
		lastErr, result       *string
		due, created, updated int64
	)
	err := row.Scan(&op.ID, &op.Project, &op.Kind, &op.Subject, &op.Target, &payload, &op.Status, &due,
		&op.Attempts, &op.RetryBase, &lastErr, &result, &created, &updated)
	op.Payload = json.RawMessage(payload)
	if lastErr != nil {
		op.LastError = *lastErr
	}
	if result != nil {
		op.Result = json.RawMessage(*result)
	}
	op.DueAt, op.CreatedAt, op.UpdatedAt = store.Time(due), store.Time(created), store.Time(updated)
	return op, err
}

// OfSubject lists a subject's operations, oldest first (tests and tools).
func OfSubject(ctx context.Context, q store.Querier, subject string) ([]Operation, error) {
	return store.All(ctx, q, scan, `SELECT `+columns+` FROM operations WHERE subject = ? ORDER BY id`, subject)
}
