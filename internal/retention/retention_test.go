package retention

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cellgate/internal/ids"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestRetentionPurgesOnlyOldFinishedRecords: the table of what a purge
// takes and leaves, by kind, state and age. Old sent deliveries and
// finished operations go with their attempts; pending and failed ones
// stay whatever their age; events go only when asked, only for live
// projects, and never while a delivery still needs them.
func TestRetentionPurgesOnlyOldFinishedRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)
		old, recent := now.Add(-40*24*time.Hour), now.Add(-time.Hour)
		type rec struct {
			table, project, status string
			at                     time.Time
			owed                   bool // an event with a failed delivery
			kept                   bool
		}
		recs := []rec{
			{"webhook_deliveries", "live", "succeeded", old, false, false},
			{"webhook_deliveries", "live", "succeeded", recent, false, true},
			{"webhook_deliveries", "live", "failed", old, false, true},
			{"webhook_deliveries", "live", "pending", old, false, true},
			{"webhook_deliveries", "test", "succeeded", old, false, false},
			{"operations", "live", "succeeded", old, false, false},
			{"operations", "live", "canceled", old, false, false},
			{"operations", "live", "failed", old, false, true},
			{"operations", "live", "pending", old, false, true},
			{"operations", "live", "succeeded", recent, false, true},
			{"idempotency_keys", "live", "", old, false, false},
			{"idempotency_keys", "live", "", recent, false, true},
			{"events", "live", "", old, false, false},
			{"events", "live", "", old, true, true},
			{"events", "live", "", recent, false, true},
			{"events", "test", "", old, false, true},
		}
		keys := make([]string, len(recs))
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for id, typ := range map[string]projects.Type{"live": projects.TypeLive, "test": projects.TypeTest} {
				if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: id, Type: typ}, old); err != nil {
					return err
				}
			}
			for i, r := range recs {
				at := store.Micros(r.at)
				var err error
				switch r.table {
				case "webhook_deliveries":
					keys[i] = ids.New(ids.Delivery)
					if _, err = tx.Exec(ctx, `INSERT INTO webhook_deliveries (endpoint_id, id, project_id, event_id, status, created_at, updated_at) VALUES ('whe_1', ?, ?, 'evt_x', ?, ?, ?)`,
						keys[i], r.project, r.status, at, at); err == nil {
						_, err = tx.Exec(ctx, `INSERT INTO webhook_attempts (endpoint_id, delivery_id, attempt, attempted_at, latency_us) VALUES ('whe_1', ?, 1, ?, 10)`, keys[i], at)
					}
				case "operations":
					keys[i] = ids.New("op")
					if _, err = tx.Exec(ctx, `INSERT INTO operations (id, project_id, kind, subject, target, payload, status, due_at, created_at, updated_at) VALUES (?, ?, 'carrier.activate', 'sub_1', 'test', '{}', ?, ?, ?, ?)`,
						keys[i], r.project, r.status, at, at, at); err == nil {
						_, err = tx.Exec(ctx, `INSERT INTO operation_attempts (operation_id, attempt, started_at) VALUES (?, 1, ?)`, keys[i], at)
					}
				case "idempotency_keys":
					keys[i] = fmt.Sprintf("key-%d", i)
					_, err = tx.Exec(ctx, `INSERT INTO idempotency_keys (project_id, idem_key, request_hash, status, body, created_at) VALUES (?, ?, 'h', 201, '{}', ?)`, r.project, keys[i], at)
				case "events":
					keys[i] = ids.New(ids.Event)
					if _, err = tx.Exec(ctx, `INSERT INTO events (id, project_id, type, subject, data, actor, time) VALUES (?, ?, 'com.gigs.user.created', 'usr_1', '{}', '{}', ?)`, keys[i], r.project, at); err == nil && r.owed {
						_, err = tx.Exec(ctx, `INSERT INTO webhook_deliveries (endpoint_id, id, project_id, event_id, status, created_at, updated_at) VALUES ('whe_2', ?, ?, ?, 'failed', ?, ?)`,
							ids.New(ids.Delivery), r.project, keys[i], at, at)
					}
				}
				if err != nil {
					return fmt.Errorf("record %d: %w", i, err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// Without an event retention, events stay.
		rep, err := Purge(ctx, db, now, Defaults)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Deliveries != 2 || rep.Operations != 2 || rep.Idempotency != 1 || rep.Events != 0 {
			t.Errorf("purge with defaults: %+v", rep)
		}
		cfg := Defaults
		cfg.Events = 30 * 24 * time.Hour
		if rep, err = Purge(ctx, db, now, cfg); err != nil || rep.Total() != 1 || rep.Events != 1 {
			t.Errorf("purge with events: %+v, %v", rep, err)
		}
		column := map[string]string{"webhook_deliveries": "id", "operations": "id", "idempotency_keys": "idem_key", "events": "id"}
		for i, r := range recs {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+r.table+` WHERE `+column[r.table]+` = ?`, keys[i]).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if (n == 1) != r.kept {
				t.Errorf("%s %s %s from %s: kept = %v, want %v", r.table, r.project, r.status, r.at.Format(time.DateOnly), n == 1, r.kept)
			}
		}
		// Attempts went with their deliveries and operations.
		for _, q := range []string{
			`SELECT COUNT(*) FROM webhook_attempts a WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = a.endpoint_id AND d.id = a.delivery_id)`,
			`SELECT COUNT(*) FROM operation_attempts a WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = a.operation_id)`,
		} {
			var n int
			if err := db.QueryRow(ctx, q).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d orphaned attempts (%v): %s", n, err, q)
			}
		}
	})
}

// TestRetentionPurgesInBatches: more rows than one batch all go, in
// several transactions.
func TestRetentionPurgesInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)
		old := store.Micros(now.Add(-48 * time.Hour))
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "live", Type: projects.TypeLive}, now); err != nil {
				return err
			}
			for i := range 2*batch + 7 {
				if _, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (project_id, idem_key, request_hash, status, body, created_at) VALUES ('live', ?, 'h', 201, '{}', ?)`, fmt.Sprint(i), old); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := Idempotency(ctx, db, now.Add(-24*time.Hour)); err != nil || n != 2*batch+7 {
			t.Errorf("purged %d, %v; want %d", n, err, 2*batch+7)
		}
	})
}
