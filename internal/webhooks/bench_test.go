package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/webhooks"
)

// TestDeliveryBenchmark measures delivery to a local receiver on each
// engine: the drain rate of a backlog (deliveries/s) and, under a steady
// load of single-event transactions, the time from enqueue (the commit of
// the event) to receipt. Run with CELLGATE_WEBHOOK_BENCH=1; see
// BENCHMARKS.md.
func TestDeliveryBenchmark(t *testing.T) {
	if os.Getenv("CELLGATE_WEBHOOK_BENCH") == "" {
		t.Skip("set CELLGATE_WEBHOOK_BENCH=1 to measure")
	}
	for _, eng := range storetest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) { benchEngine(t, eng.Open(t)) })
	}
}

type benchReceiver struct {
	mu  sync.Mutex
	n   int
	lat []time.Duration
}

func (b *benchReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var ev struct {
		Data struct {
			T int64 `json:"t"`
		} `json:"data"`
	}
	_ = json.Unmarshal(raw, &ev)
	now := time.Now()
	b.mu.Lock()
	b.n++
	if ev.Data.T != 0 {
		b.lat = append(b.lat, now.Sub(time.Unix(0, ev.Data.T)))
	}
	b.mu.Unlock()
}

func (b *benchReceiver) count() int { b.mu.Lock(); defer b.mu.Unlock(); return b.n }

func benchEngine(t *testing.T, db *store.DB) {
	ctx := context.Background()
	rcv := &benchReceiver{}
	ts := httptest.NewServer(rcv)
	defer ts.Close()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "bench", Type: projects.TypeLive}, time.Now()); err != nil {
			return err
		}
		_, err := webhooks.Create(ctx, tx, "bench", webhooks.Input{URL: optional.Of(ts.URL)}, true, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &webhooks.Worker{DB: db, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Config: webhooks.Config{AllowPrivate: true}}

	// Drain: a backlog enqueued while no worker runs.
	const backlog = 20000
	for i := 0; i < backlog; i += 500 {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for j := 0; j < 500; j++ {
				if err := events.Record(ctx, tx, "bench", "user.created", "usr_x", map[string]int{"i": i + j}, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() { defer close(done); w.Run(wctx) }()
	defer func() { stop(); <-done }()
	for rcv.count() < backlog {
		time.Sleep(5 * time.Millisecond)
	}
	rate := float64(backlog) / time.Since(start).Seconds()

	// Latency: single-event transactions at a steady rate.
	const perSecond, seconds = 1000, 5
	tick := time.NewTicker(time.Second / perSecond)
	for i := 0; i < perSecond*seconds; i++ {
		<-tick.C
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return events.Record(ctx, tx, "bench", "user.created", "usr_x", map[string]int64{"t": time.Now().UnixNano()}, time.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	tick.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for rcv.count() < backlog+perSecond*seconds && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	rcv.mu.Lock()
	lat := slices.Clone(rcv.lat)
	rcv.mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	t.Logf("%s: drain %d deliveries at %.0f/s; steady %d/s for %ds: enqueue→delivery p50 %v p99 %v max %v (%d samples)",
		db.Dialect(), backlog, rate, perSecond, seconds, pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond),
		lat[len(lat)-1].Round(10*time.Microsecond), len(lat))
}
