package usage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/outbound"
	"cellgate/internal/platform"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/usage"
)

// benchPlan has limited allowances, so the ingest crosses thresholds.
const benchPlan = `{"name":"Monthly","provider":"test","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
	"allowances":{"dataBytes":5000000000,"voiceSeconds":36000,"smsMessages":100},"validity":{"value":1,"unit":"month","type":"recurring"}}`

var benchStart = time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)

func quietPlatform(db *store.DB) *platform.Platform {
	return platform.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
}

// cpuTime is the CPU time (user + system) the process has used: on a
// machine shared with other work, records per CPU second is the figure
// that compares across runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:1], "")
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// feedBench is a seeded project and the feed records of its lines.
type feedBench struct {
	plat   *platform.Platform
	iccids []string
	poll   outbound.Kind
	cursor int
}

func newFeedBench(t testing.TB, db *store.DB, lines int) *feedBench {
	ctx := context.Background()
	plat := quietPlatform(db)
	if _, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: "bench", N: lines, Start: benchStart, Plan: benchPlan}); err != nil {
		t.Fatal(err)
	}
	iccids, err := store.All(ctx, db, store.ScanString, `SELECT iccid FROM sims WHERE project_id = 'bench' ORDER BY iccid`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO usage_feeds (project_id, provider, cursor) VALUES ('bench', 'test', 'c0')`); err != nil {
		t.Fatal(err)
	}
	return &feedBench{plat: plat, iccids: iccids, poll: plat.Usage.Operations()[usage.OpPoll]}
}

// batch is the n-th feed batch of 1,000 records: the lines in turn, each
// record one 3-hour interval, every 20th abroad.
func (f *feedBench) batch(n int) network.UsageBatch {
	const size = network.MaxUsageLimit
	recs := make([]network.UsageRecord, size)
	for i := range recs {
		k := n*size + i
		line, interval := k%len(f.iccids), k/len(f.iccids)
		start := benchStart.Add(2 * time.Hour).Add(time.Duration(interval) * 3 * time.Hour)
		r := network.UsageRecord{ICCID: f.iccids[line], Start: start, End: start.Add(3 * time.Hour),
			DataBytes: int64(k%7919) * 4000, VoiceSeconds: int64(k % 61), SMSMessages: int64(k % 3), Country: "US", Roaming: "none",
			ReportedAt: start.Add(3 * time.Hour)}
		if k%20 == 0 {
			r.Country, r.Roaming = "CA", "international"
		}
		recs[i] = r
	}
	return network.UsageBatch{Records: recs, NextCursor: fmt.Sprintf("c%d", n+1)}
}

// apply ingests a batch as the poll that read it from the stored cursor.
func (f *feedBench) apply(t testing.TB, db *store.DB, b network.UsageBatch) {
	ctx := context.Background()
	raw, _ := json.Marshal(b)
	op := outbound.Operation{ID: "op_bench", Project: "bench", Kind: usage.OpPoll,
		Payload: json.RawMessage(fmt.Sprintf(`{"provider":"test","cursor":"c%d"}`, f.cursor))}
	now := b.Records[len(b.Records)-1].ReportedAt
	if err := db.InTx(ctx, func(tx *store.Tx) error { return f.poll.Apply(ctx, tx, op, raw, now) }); err != nil {
		t.Fatal(err)
	}
	f.cursor++
}

// BenchmarkUsageIngestBatch ingests feed batches of 1,000 records over
// 1,000 lines (CELLGATE_BENCH_USAGE_LINES), with aggregation, balances and
// notifications, as a poll's outcome: the figure is records per second.
func BenchmarkUsageIngestBatch(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine.Name, func(b *testing.B) {
			db := engine.Open(b)
			f := newFeedBench(b, db, envInt("CELLGATE_BENCH_USAGE_LINES", 1000))
			batches := make([]network.UsageBatch, b.N)
			for i := range batches {
				batches[i] = f.batch(i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f.apply(b, db, batches[i])
			}
			b.ReportMetric(float64(b.N*network.MaxUsageLimit)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// TestUsageIngestMillionRecords is the figure: a feed of
// CELLGATE_BENCH_USAGE_RECORDS raw records (1000000) over
// CELLGATE_BENCH_USAGE_LINES active lines (10000), ingested with
// aggregation, balances and notifications. It runs only when the first is
// set.
func TestUsageIngestMillionRecords(t *testing.T) {
	total := envInt("CELLGATE_BENCH_USAGE_RECORDS", 0)
	if os.Getenv("CELLGATE_BENCH_USAGE_RECORDS") == "" {
		t.Skip("set CELLGATE_BENCH_USAGE_RECORDS=1000000 to run")
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(engine.Name, func(t *testing.T) {
			db := engine.Open(t)
			seeded := time.Now()
			f := newFeedBench(t, db, envInt("CELLGATE_BENCH_USAGE_LINES", 10000))
			t.Logf("%s: seeded %d lines in %s", engine.Name, len(f.iccids), time.Since(seeded))
			n := total / network.MaxUsageLimit
			var took, cpu time.Duration
			for i := 0; i < n; i++ {
				b := f.batch(i)
				began, cpu0 := time.Now(), cpuTime()
				f.apply(t, db, b)
				took += time.Since(began)
				cpu += cpuTime() - cpu0
			}
			var notes int
			if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM events WHERE project_id = 'bench' AND type LIKE 'com.gigs.usage%'`).Scan(&notes); err != nil {
				t.Fatal(err)
			}
			recs := float64(n * network.MaxUsageLimit)
			t.Logf("%s: ingested %.0f records in %s (%s CPU): %.0f records/s, %.0f records per CPU second, %d usage events, load average %s",
				engine.Name, recs, took.Round(time.Millisecond), cpu.Round(time.Millisecond), recs/took.Seconds(), recs/cpu.Seconds(), notes, loadAverage())
		})
	}
}

// TestUsageYearOfTypicalLines advances a test project with
// CELLGATE_BENCH_USAGE_MODEL_LINES (1000) lines on the typical traffic
// model by one year: renewals, the feed's daily polls, ingest and
// notifications. It runs only when that variable is set.
func TestUsageYearOfTypicalLines(t *testing.T) {
	n := envInt("CELLGATE_BENCH_USAGE_MODEL_LINES", 0)
	if n == 0 {
		t.Skip("set CELLGATE_BENCH_USAGE_MODEL_LINES=1000 to run")
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(engine.Name, func(t *testing.T) {
			ctx := context.Background()
			db := engine.Open(t)
			plat := quietPlatform(db)
			if _, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: "bench", N: n, Start: benchStart, Plan: benchPlan}); err != nil {
				t.Fatal(err)
			}
			subs, err := store.All(ctx, db, store.ScanString, `SELECT id FROM subscriptions WHERE project_id = 'bench' ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			now := benchStart.Add(time.Hour)
			err = db.InTx(ctx, func(tx *store.Tx) error {
				for _, id := range subs {
					if _, err := usage.SetModel(ctx, tx, "bench", id, usage.ModelInput{Model: optional.Of("typical")}, now); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			began, cpu0 := time.Now(), cpuTime()
			ran, err := plat.Timeline.Advance(ctx, "bench", now.AddDate(1, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			took, cpu := time.Since(began), cpuTime()-cpu0
			var days, notes int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM usage_days`).Scan(&days); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE project_id = 'bench' AND type LIKE 'com.gigs.usage%'`).Scan(&notes); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d typical lines advanced one year in %s (%s CPU, load average %s): %d timers, %d day records, %d usage events",
				engine.Name, n, took.Round(time.Millisecond), cpu.Round(time.Millisecond), loadAverage(), ran, days, notes)
			if days < n*360 {
				t.Fatalf("%d day records for %d lines over a year", days, n)
			}
		})
	}
}
