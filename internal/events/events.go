// Package events records what happened to every resource, in the same
// transaction as the change, as CloudEvents 1.0 envelopes (reference §1.7).
// The log is what GET /events reads and what webhooks deliver.
package events

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/clock"
	"cellgate/internal/ids"
	"cellgate/internal/memo"
	"cellgate/internal/signal"
	"cellgate/internal/store"
)

// APIVersion is the version string every event carries: the API version
// whose shapes cellgate serialises.
const APIVersion = "2025-05-22"

// TypePrefix starts every event type of the Gigs API (see CellgatePrefix
// for the others).
const TypePrefix = "com.gigs."

// Actor says who caused an event.
type Actor struct {
	Type   string `json:"type"`
	APIKey string `json:"apiKey,omitempty"`
	User   string `json:"user,omitempty"`
	Member string `json:"member,omitempty"`
}

// System is the actor of scheduled work: renewals, activations, retirement.
var System = Actor{Type: "system"}

type actorKey struct{}

// WithActor attaches the actor of the current request to ctx.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor attached to ctx, or System.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// Record appends one event about subject (a resource id) to the log. data is
// the resource as the API returns it; at is the project's clock.
func Record(ctx context.Context, tx *store.Tx, project, typ, subject string, data any, at time.Time) error {
	return insert(ctx, tx, project, typ, subject, data, nil, at)
}

// RecordUpdate appends a "<resource>.updated" event whose previousData holds
// the top-level fields of before that differ in after. It records nothing
// when nothing changed, so a no-op PATCH stays silent.
func RecordUpdate(ctx context.Context, tx *store.Tx, project, typ, subject string, before, after any, at time.Time) error {
	prev, changed, err := shallowDiff(before, after)
	if err != nil || !changed {
		return err
	}
	return insert(ctx, tx, project, typ, subject, after, prev, at)
}

func insert(ctx context.Context, tx *store.Tx, project, typ, subject string, data any, previous json.RawMessage, at time.Time) error {
	body, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("events: encode %s: %w", typ, err)
	}
	actor, _ := json.Marshal(ActorFrom(ctx))
	var prev any
	if previous != nil {
		prev = string(previous)
	}
	id := ids.New(ids.Event)
	_, err = tx.Exec(ctx, `INSERT INTO events (id, project_id, type, subject, data, previous_data, actor, time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, project, full(typ), subject, string(body), prev, string(actor), store.Micros(at))
	if err != nil {
		return fmt.Errorf("events: record %s: %w", typ, err)
	}
	return enqueueDeliveries(ctx, tx, project, id, full(typ))
}

// enqueueDeliveries is the transactional outbox of webhooks: one delivery
// row per enabled endpoint of the project that subscribes to the type,
// committed with the event or not at all. A project without endpoints
// pays one index probe. Delivery ids are msg_ plus the event id's suffix:
// the webhook-id, the same for every endpoint and every attempt. Delivery
// times are the wall clock, whatever the project's clock says.
func enqueueDeliveries(ctx context.Context, tx *store.Tx, project, eventID, fullType string) error {
	// Scheduled work records many events per transaction and never
	// changes endpoints: it asks once whether the project has any.
	if memo.Active(ctx) {
		has, err := memo.Get(ctx, tx, "webhookEndpoints/"+project, func() (bool, error) {
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM webhook_endpoints WHERE project_id = ? AND status = 'enabled' LIMIT 1`, project).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return false, nil
			}
			return err == nil, err
		})
		if err != nil || !has {
			return err
		}
	}
	now := clock.Wall().UnixMicro()
	q := enqueueSQLite
	if tx.Dialect() == store.Postgres {
		q = enqueuePostgres
	}
	res, err := tx.Exec(ctx, q, DeliveryID(eventID), eventID, now, now, now, project, " "+fullType+" ")
	if err != nil {
		return fmt.Errorf("events: enqueue webhook deliveries: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		tx.AfterCommit(WakeDeliveries)
	}
	return nil
}

// The outbox insert. The type is found with instr/strpos rather than LIKE:
// SQLite re-prepares a statement whose bound LIKE pattern changes, which
// cost POST /users about a fifth of its time.
const (
	enqueueHead = `INSERT INTO webhook_deliveries
		(endpoint_id, id, project_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
		SELECT id, ?, project_id, ?, 'pending', 0, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM webhook_endpoints
		WHERE project_id = ? AND status = 'enabled' AND (event_match = '*' OR `
	enqueueSQLite   = enqueueHead + `instr(event_match, ?) > 0)`
	enqueuePostgres = enqueueHead + `strpos(event_match, ?) > 0)`
)

// DeliveryID is the webhook-id of an event's deliveries.
func DeliveryID(eventID string) string {
	return ids.Delivery + "_" + strings.TrimPrefix(eventID, ids.Event+"_")
}

// deliveryWake wakes every waiting delivery worker in the process when
// deliveries commit.
var deliveryWake = signal.New()

// DeliveriesWake returns a channel that is closed when new webhook
// deliveries commit in this process.
func DeliveriesWake() <-chan struct{} { return deliveryWake.Wait() }

// WakeDeliveries tells the delivery workers of this process to look for work.
func WakeDeliveries() { deliveryWake.Notify() }

// GetMany reads events by id, across projects, for delivery.
func GetMany(ctx context.Context, q store.Querier, eventIDs []string, source string) (map[string]*Event, error) {
	out := make(map[string]*Event, len(eventIDs))
	if len(eventIDs) == 0 {
		return out, nil
	}
	marks := strings.Repeat("?, ", len(eventIDs))
	args := make([]any, len(eventIDs))
	for i, id := range eventIDs {
		args[i] = id
	}
	rows, err := q.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE id IN (`+marks[:len(marks)-2]+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("events: read for delivery: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows, source)
		if err != nil {
			return nil, err
		}
		out[e.ID] = e
	}
	return out, rows.Err()
}

// shallowDiff returns the top-level fields of before whose JSON differs in
// after. A nested object that changed at all is included whole.
func shallowDiff(before, after any) (json.RawMessage, bool, error) {
	var b, a map[string]json.RawMessage
	if err := roundTrip(before, &b); err != nil {
		return nil, false, err
	}
	if err := roundTrip(after, &a); err != nil {
		return nil, false, err
	}
	prev := map[string]json.RawMessage{}
	for k, old := range b {
		if !bytes.Equal(old, a[k]) {
			prev[k] = old
		}
	}
	if len(prev) == 0 {
		return nil, false, nil
	}
	out, err := json.Marshal(prev)
	return out, true, err
}

func roundTrip(v any, into *map[string]json.RawMessage) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}
