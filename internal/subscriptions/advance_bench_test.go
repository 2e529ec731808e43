package subscriptions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/subscriptions"
	"cellgate/internal/users"
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
			var plan *catalog.Plan
			must(t, db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "bench", Type: projects.TypeTest}, start); err != nil {
					return err
				}
				var in catalog.PlanInput
				_ = json.Unmarshal([]byte(`{"name":"Monthly","provider":"test","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
					"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`), &in)
				var err error
				plan, err = catalog.CreatePlan(ctx, tx, "bench", in, start)
				return err
			}))
			created := time.Now()
			for i := 0; i < n; i += 500 {
				must(t, db.InTx(ctx, func(tx *store.Tx) error {
					for j := i; j < i+500 && j < n; j++ {
						u, err := users.Create(ctx, tx, "bench", users.CreateInput{Email: fmt.Sprintf("u%d@example.com", j)}, start)
						if err != nil {
							return err
						}
						if _, err := plat.Subscriptions.Create(ctx, tx, "bench", subscriptions.CreateInput{Plan: plan.ID, User: u.ID, SIM: "auto"}, start); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			t.Logf("%s: created %d subscriptions in %s", engine.Name, n, time.Since(created))
			ran, err := plat.Timeline.Advance(ctx, "bench", start.Add(time.Hour))
			must(t, err)
			began := time.Now()
			renewed, err := plat.Timeline.Advance(ctx, "bench", start.Add(time.Hour).AddDate(1, 0, 0))
			must(t, err)
			took := time.Since(began)
			t.Logf("%s: activated %d, then advanced one year: %d timers in %s (%.0f timers/s)", engine.Name, ran, renewed, took, float64(renewed)/took.Seconds())
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
