// Package retention purges what cellgate no longer needs once it is old:
// webhook deliveries that were sent, outbound operations that finished and
// stored Idempotency-Key answers; events too, when an operator asks for it
// (they are the audit log, kept by default). docs/operations.md,
// "Retention", gives the defaults and the reasons.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"cellgate/internal/store"
)

// Config says how long each kind of record is kept; 0 keeps it forever.
type Config struct {
	Deliveries  time.Duration // webhook deliveries that succeeded, with their attempts
	Operations  time.Duration // outbound operations that succeeded or were canceled, with their attempts
	Idempotency time.Duration // stored Idempotency-Key answers: a key replays for this long
	Events      time.Duration // events of live projects no delivery still needs
}

// Defaults: a month of sent deliveries and finished calls to look into, a
// day of replays (what Stripe-style clients expect), events kept.
var Defaults = Config{Deliveries: 30 * 24 * time.Hour, Operations: 30 * 24 * time.Hour, Idempotency: 24 * time.Hour}

// Report counts what one purge deleted.
type Report struct {
	Deliveries, Operations, Idempotency, Events int64
}

// Total is the number of records deleted.
func (r Report) Total() int64 { return r.Deliveries + r.Operations + r.Idempotency + r.Events }

// batch bounds one delete transaction, so a first purge of a large backlog
// never holds SQLite's single writer for long.
const batch = 1000

// Purge deletes what is older than cfg allows at now (the wall clock).
func Purge(ctx context.Context, db *store.DB, now time.Time, cfg Config) (Report, error) {
	var r Report
	var err error
	if cfg.Deliveries > 0 {
		if r.Deliveries, err = Deliveries(ctx, db, now.Add(-cfg.Deliveries)); err != nil {
			return r, err
		}
	}
	if cfg.Operations > 0 {
		if r.Operations, err = Operations(ctx, db, now.Add(-cfg.Operations)); err != nil {
			return r, err
		}
	}
	if cfg.Idempotency > 0 {
		if r.Idempotency, err = Idempotency(ctx, db, now.Add(-cfg.Idempotency)); err != nil {
			return r, err
		}
	}
	if cfg.Events > 0 {
		if r.Events, err = Events(ctx, db, now.Add(-cfg.Events)); err != nil {
			return r, err
		}
	}
	return r, nil
}

// inBatches runs one transaction of deletes after another until one
// deletes fewer than a batch; step returns how many rows it deleted.
func inBatches(ctx context.Context, db *store.DB, what string, step func(tx *store.Tx) (int64, error)) (int64, error) {
	var total int64
	for {
		var n int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			n, err = step(tx)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("retention: purge %s: %w", what, err)
		}
		total += n
		if n < batch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

func affected(res interface{ RowsAffected() (int64, error) }, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Deliveries deletes webhook deliveries that succeeded before cutoff (by
// their last change, the wall clock) and their attempts. Pending and
// failed ones stay: they are still owed, or waiting for a replay.
func Deliveries(ctx context.Context, db *store.DB, cutoff time.Time) (int64, error) {
	const pick = `SELECT endpoint_id, id FROM webhook_deliveries WHERE status = 'succeeded' AND updated_at < ? ORDER BY updated_at LIMIT ?`
	return inBatches(ctx, db, "webhook deliveries", func(tx *store.Tx) (int64, error) {
		at := store.Micros(cutoff)
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_attempts WHERE (endpoint_id, delivery_id) IN (`+pick+`)`, at, batch); err != nil {
			return 0, err
		}
		return affected(tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE (endpoint_id, id) IN (`+pick+`)`, at, batch))
	})
}

// Operations deletes outbound operations that succeeded or were canceled
// before cutoff, with their attempts (ON DELETE CASCADE). Failed ones
// stay until an operator retries or drops them; pending ones are work.
func Operations(ctx context.Context, db *store.DB, cutoff time.Time) (int64, error) {
	return inBatches(ctx, db, "operations", func(tx *store.Tx) (int64, error) {
		pick := `SELECT id FROM operations WHERE status IN ('succeeded', 'canceled') AND updated_at < ? ORDER BY updated_at LIMIT ?`
		at := store.Micros(cutoff)
		if _, err := tx.Exec(ctx, `DELETE FROM operation_attempts WHERE operation_id IN (`+pick+`)`, at, batch); err != nil {
			return 0, err
		}
		return affected(tx.Exec(ctx, `DELETE FROM operations WHERE id IN (`+pick+`)`, at, batch))
	})
}

// Idempotency deletes stored Idempotency-Key answers created before
// cutoff; such a key then starts a new request.
func Idempotency(ctx context.Context, db *store.DB, cutoff time.Time) (int64, error) {
	return inBatches(ctx, db, "idempotency keys", func(tx *store.Tx) (int64, error) {
		return affected(tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE (project_id, idem_key) IN (
			SELECT project_id, idem_key FROM idempotency_keys WHERE created_at < ? LIMIT ?)`, store.Micros(cutoff), batch))
	})
}

// Events deletes events of live projects that happened before cutoff and
// that no delivery still needs (a pending or failed delivery may be sent
// or replayed). Test projects keep theirs: their clocks are not the wall
// clock, and a reset clears them.
func Events(ctx context.Context, db *store.DB, cutoff time.Time) (int64, error) {
	return inBatches(ctx, db, "events", func(tx *store.Tx) (int64, error) {
		return affected(tx.Exec(ctx, `DELETE FROM events WHERE id IN (
			SELECT e.id FROM events e JOIN projects p ON p.id = e.project_id
			WHERE p.type = 'live' AND e.time < ?
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status <> 'succeeded')
			ORDER BY e.id LIMIT ?)`, store.Micros(cutoff), batch))
	})
}

// Run purges at start and then every interval until ctx ends, logging
// what went.
func Run(ctx context.Context, db *store.DB, cfg Config, every time.Duration, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		r, err := Purge(ctx, db, time.Now(), cfg)
		if err != nil && ctx.Err() == nil {
			log.Error("retention purge", "error", err)
		} else if r.Total() > 0 {
			log.Info("retention purge", "deliveries", r.Deliveries, "operations", r.Operations, "idempotencyKeys", r.Idempotency, "events", r.Events)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
