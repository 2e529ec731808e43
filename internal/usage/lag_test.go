package usage_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/network"
	"cellgate/internal/projects"
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
		modelledLine(t, plat, start, "light")
		lagIs := func(want time.Duration) {
			t.Helper()
			lags, err := usage.Lags(ctx, db, time.Now())
			if err != nil || len(lags) != 1 || lags[0].Provider != "test" || lags[0].Live || lags[0].Lag != want {
				t.Fatalf("lags = %+v (%v), want %s", lags, err, want)
			}
		}
		day2 := start.AddDate(0, 0, 2)
		if _, err := plat.Timeline.Advance(ctx, "acme", day2); err != nil {
			t.Fatal(err)
		}
		lagIs(0)

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
		lagIs(3 * 24 * time.Hour)

		if err := faults.ClearFaults(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if _, err := plat.Timeline.Advance(ctx, "acme", day2.AddDate(0, 0, 4)); err != nil {
			t.Fatal(err)
		}
		lagIs(0)

		// On /metrics: live projects' feeds only, on the wall clock (a
		// test project's feed is read daily on its own clock, so up to a
		// day behind by design).
		reg := prometheus.NewRegistry()
		usage.RegisterMetrics(reg, db)
		if got := gauge(t, reg, "cellgate_usage_feed_lag_seconds"); got != 0 {
			t.Fatalf("lag with only a test project's feed = %v", got)
		}
		wall := time.Now()
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "live", Type: projects.TypeLive}, wall); err != nil {
				return err
			}
			return usage.Watch(ctx, tx, "live", "test", wall.Add(-time.Hour)) // watched an hour ago, never polled since
		}); err != nil {
			t.Fatal(err)
		}
		if got := gauge(t, reg, "cellgate_usage_feed_lag_seconds"); got < 3600 || got > 3600+300 {
			t.Fatalf("cellgate_usage_feed_lag_seconds = %v, want an hour", got)
		}
		if got := gauge(t, reg, "cellgate_usage_feeds_behind"); got != 1 {
			t.Fatalf("cellgate_usage_feeds_behind = %v, want 1", got)
		}
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
	return 0 // no feed of provider test
}
