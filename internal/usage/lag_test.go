package usage_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/usage"
)

// TestFeedLagMetricShowsHowFarBehindAFeedIs: a feed read to its end has
// no lag; while the carrier's feed fails, the lag grows with the
// project's clock, on /metrics too; once it answers again, the next poll
// catches up and the lag is gone.
func TestFeedLagMetricShowsHowFarBehindAFeedIs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2030, time.March, 1, 0, 0, 0, 0, time.UTC)
		plat := quietPlatform(db)
		if _, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: "acme", N: 1, Start: start, Plan: benchPlan}); err != nil {
			t.Fatal(err)
		}
		var sub string
		if err := db.QueryRow(ctx, `SELECT id FROM subscriptions WHERE project_id = 'acme'`).Scan(&sub); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := usage.SetModel(ctx, tx, "acme", sub, usage.ModelInput{Model: optional.Of("light")}, start.Add(time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		usage.RegisterMetrics(reg, db)
		lagIs := func(want time.Duration, behind int) {
			t.Helper()
			lags, err := usage.Lags(ctx, db, time.Now())
			if err != nil || len(lags) != 1 || lags[0].Provider != "test" || lags[0].Lag != want {
				t.Fatalf("lags = %+v (%v), want %s", lags, err, want)
			}
			if got := gauge(t, reg, "cellgate_usage_feed_lag_seconds"); got != want.Seconds() {
				t.Fatalf("cellgate_usage_feed_lag_seconds = %v, want %v", got, want.Seconds())
			}
			if got := gauge(t, reg, "cellgate_usage_feeds_behind"); got != float64(behind) {
				t.Fatalf("cellgate_usage_feeds_behind = %v, want %d", got, behind)
			}
		}
		day2 := start.AddDate(0, 0, 2)
		if _, err := plat.Timeline.Advance(ctx, "acme", day2); err != nil {
			t.Fatal(err)
		}
		lagIs(0, 0)

		carrier, err := plat.Carriers.Provider("test")
		if err != nil {
			t.Fatal(err)
		}
		faults := carrier.(network.FaultInjector)
		if err := faults.InjectFault(ctx, network.Fault{Operation: network.OpUsage, Project: "acme", Code: network.CodeUnavailable}); err != nil {
			t.Fatal(err)
		}
		if _, err := plat.Timeline.Advance(ctx, "acme", day2.AddDate(0, 0, 3)); err != nil {
			t.Fatal(err)
		}
		lagIs(3*24*time.Hour, 1)

		if err := faults.ClearFaults(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := plat.Timeline.Advance(ctx, "acme", day2.AddDate(0, 0, 4)); err != nil {
			t.Fatal(err)
		}
		lagIs(0, 0)
	})
}

// gauge is the value of a gauge of provider test.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "provider" && l.GetValue() == "test" {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{provider=\"test\"}", name)
	return 0
}
