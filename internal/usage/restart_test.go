package usage_test

import (
	"context"
	"testing"
	"time"

	"cellgate/internal/optional"
	"cellgate/internal/platform"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/usage"
)

// TestTrafficModelsOutliveARestart: the in-process simulator keeps its
// lines in memory, so a restart of `cellgate serve` gives it none; the
// stored traffic models are handed back (RestoreModels), and advancing the
// clock after the restart still brings each modelled day's usage in.
func TestTrafficModelsOutliveARestart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2030, time.March, 1, 0, 0, 0, 0, time.UTC)
		before := quietPlatform(db)
		sub := modelledLine(t, before, start, "typical")
		restart := start.AddDate(0, 0, 3)
		if _, err := before.Timeline.Advance(ctx, "acme", restart); err != nil {
			t.Fatal(err)
		}
		if days := modelledDays(t, db, sub, start, restart); days < 2 {
			t.Fatalf("%d days of usage before the restart", days)
		}

		after := quietPlatform(db) // a new process: simulators without lines
		n, err := after.Usage.RestoreModels(ctx, db)
		if err != nil || n != 1 {
			t.Fatalf("restored %d models: %v", n, err)
		}
		if _, err := after.Timeline.Advance(ctx, "acme", restart.AddDate(0, 0, 4)); err != nil {
			t.Fatal(err)
		}
		if days := modelledDays(t, db, sub, restart, restart.AddDate(0, 0, 3)); days != 3 {
			t.Fatalf("%d of 3 days of usage after the restart", days)
		}
		var data int64
		if err := db.QueryRow(ctx, `SELECT SUM(data_bytes) FROM usage_days WHERE subscription_id = ? AND day >= ? AND day < ?`,
			sub, store.Micros(restart), store.Micros(restart.AddDate(0, 0, 3))).Scan(&data); err != nil {
			t.Fatal(err)
		}
		if per := data / 3; per < 75_000_000 || per > 225_000_000 {
			t.Fatalf("%d bytes a day after the restart, want typical (150 MB, between half and one and a half times)", per)
		}
	})
}

// modelledDays counts the days in [from, to) with usage.
func modelledDays(t *testing.T, db *store.DB, sub string, from, to time.Time) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(DISTINCT day) FROM usage_days WHERE subscription_id = ? AND day >= ? AND day < ? AND data_bytes > 0`,
		sub, store.Micros(from), store.Micros(to)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// modelledLine seeds project acme with one line active from start and
// gives it a traffic model an hour later; it returns the subscription.
func modelledLine(t *testing.T, plat *platform.Platform, start time.Time, model string) string {
	t.Helper()
	ctx, db := context.Background(), plat.DB
	if _, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: "acme", N: 1, Start: start, Plan: benchPlan}); err != nil {
		t.Fatal(err)
	}
	var sub string
	if err := db.QueryRow(ctx, `SELECT id FROM subscriptions WHERE project_id = 'acme'`).Scan(&sub); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := usage.SetModel(ctx, tx, "acme", sub, usage.ModelInput{Model: optional.Of(model)}, start.Add(time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return sub
}
