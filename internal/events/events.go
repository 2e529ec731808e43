// Package events records what happened to every resource, in the same
// transaction as the change, as CloudEvents 1.0 envelopes (reference §1.7).
// The log is what GET /events reads and what webhooks deliver.
package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cellgate/internal/ids"
	"cellgate/internal/store"
)

// APIVersion is the version string every event carries: the API version
// whose shapes cellgate serialises.
const APIVersion = "2025-05-22"

// TypePrefix starts every event type.
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
	_, err = tx.Exec(ctx, `INSERT INTO events (id, project_id, type, subject, data, previous_data, actor, time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ids.New(ids.Event), project, TypePrefix+typ, subject, string(body), prev, string(actor), store.Micros(at))
	if err != nil {
		return fmt.Errorf("events: record %s: %w", typ, err)
	}
	return nil
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
