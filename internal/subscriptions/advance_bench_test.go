package subscriptions_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"cellgate/internal/platform"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/store/storetest"
)

// TestAdvanceYearWith10kSubscriptions measures how long a test project
// with many active monthly subscriptions takes to advance by one year. It
// runs only when CELLGATE_BENCH_SUBSCRIPTIONS is set (to the number of
// subscriptions, 10000 for BENCHMARKS.md), as it takes a while.
func TestAdvanceYearWith10kSubscriptions(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CELLGATE_BENCH_SUBSCRIPTIONS"))
	if n == 0 {
		t.Skip("set CELLGATE_BENCH_SUBSCRIPTIONS=10000 to run")
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(engine.Name, func(t *testing.T) {
			db := engine.Open(t)
			ctx := context.Background()
			plat := platform.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
			start := time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)
			created := time.Now()
			_, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: "bench", N: n, Start: start})
			must(t, err)
			t.Logf("%s: created and activated %d subscriptions in %s", engine.Name, n, time.Since(created))
			began := time.Now()
			renewed, err := plat.Timeline.Advance(ctx, "bench", start.Add(time.Hour).AddDate(1, 0, 0))
			must(t, err)
			took := time.Since(began)
			t.Logf("%s: advanced one year: %d timers in %s (%.0f timers/s)", engine.Name, renewed, took, float64(renewed)/took.Seconds())
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
