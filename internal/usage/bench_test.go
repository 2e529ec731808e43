package usage_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	cgbench "cellgate/internal/bench"
	"cellgate/internal/network"
	"cellgate/internal/store/storetest"
)

// The usage figures of issue 11 (BENCHMARKS.md, "Usage"). Each heavy one
// is meant to run once (-benchtime 1x); `cellgate bench usage` runs the
// same measures from the command line.

var (
	quietPlatform = cgbench.QuietPlatform
	benchPlan     = cgbench.UsagePlan
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkUsageIngestBatch ingests feed batches of 1,000 records over
// 1,000 lines (CELLGATE_BENCH_USAGE_LINES), with aggregation, balances and
// notifications, as a poll's outcome: the figure is records per second.
func BenchmarkUsageIngestBatch(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine.Name, func(b *testing.B) {
			ctx := context.Background()
			f, err := cgbench.NewUsageFeed(ctx, engine.Open(b), "bench", envInt("CELLGATE_BENCH_USAGE_LINES", 1000))
			if err != nil {
				b.Fatal(err)
			}
			batches := make([]network.UsageBatch, b.N)
			for i := range batches {
				batches[i] = f.Batch(i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := f.Apply(ctx, batches[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*network.MaxUsageLimit)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkUsageIngestMillionRecords is the ingest figure: a feed
// of CELLGATE_BENCH_USAGE_RECORDS raw records (1,000,000) over
// CELLGATE_BENCH_USAGE_LINES active lines (10,000) per iteration, with
// aggregation, balances and notifications. Run it with -benchtime 1x.
func BenchmarkUsageIngestMillionRecords(b *testing.B) {
	records := envInt("CELLGATE_BENCH_USAGE_RECORDS", 1_000_000)
	lines := envInt("CELLGATE_BENCH_USAGE_LINES", 10_000)
	for _, engine := range storetest.Engines(b) {
		b.Run(engine.Name, func(b *testing.B) {
			var wall, cpu time.Duration
			var n int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := engine.Open(b)
				b.StartTimer()
				fig, err := cgbench.UsageIngest(context.Background(), db, engine.Name, lines, records)
				if err != nil {
					b.Fatal(err)
				}
				wall, cpu, n = wall+fig.Wall, cpu+fig.CPU, n+fig.Records
				b.ReportMetric(float64(fig.Events), "usage-events")
			}
			b.ReportMetric(float64(n)/wall.Seconds(), "records/s")
			b.ReportMetric(float64(n)/cpu.Seconds(), "records/cpu-s")
		})
	}
}

// BenchmarkUsageRecordsGET measures GET .../usage of a line with a year of
// daily records in 5 countries, at c=16 for CELLGATE_BENCH_USAGE_GET
// seconds (5), with CELLGATE_BENCH_USAGE_GET_LINES lines in the project (a
// comma-separated list, 1000 by default; every other line has a week of
// usage), for the default answer (the latest period) and the whole year,
// on SQLite. Run it with -benchtime 1x.
func BenchmarkUsageRecordsGET(b *testing.B) {
	secs := envInt("CELLGATE_BENCH_USAGE_GET", 5)
	counts := strings.Split(os.Getenv("CELLGATE_BENCH_USAGE_GET_LINES"), ",")
	if counts[0] == "" {
		counts = []string{"1000"}
	}
	engine := storetest.Engines(b)[0]
	for _, c := range counts {
		lines, err := strconv.Atoi(c)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(engine.Name+"-"+c, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := engine.Open(b)
				b.StartTimer()
				figs, err := cgbench.UsageGET(context.Background(), db, lines, 16, time.Duration(secs)*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range figs {
					if f.Failed > 0 || f.Requests == 0 {
						b.Fatalf("%s: %d requests, %d failed", f.Query, f.Requests, f.Failed)
					}
					unit := strings.ReplaceAll(f.Query, " ", "-")
					b.ReportMetric(float64(f.P50)/float64(time.Millisecond), unit+"-p50-ms")
					b.ReportMetric(float64(f.P99)/float64(time.Millisecond), unit+"-p99-ms")
				}
			}
		})
	}
}

// BenchmarkUsageYearOfTypicalLines advances a test project with
// CELLGATE_BENCH_USAGE_MODEL_LINES (1,000) lines on the typical traffic
// model by one year per iteration: renewals, the feed's daily polls,
// ingest and notifications. Run it with -benchtime 1x.
func BenchmarkUsageYearOfTypicalLines(b *testing.B) {
	lines := envInt("CELLGATE_BENCH_USAGE_MODEL_LINES", 1000)
	for _, engine := range storetest.Engines(b) {
		b.Run(engine.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := engine.Open(b)
				b.StartTimer()
				fig, err := cgbench.UsageYear(context.Background(), db, engine.Name, lines)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(fig.Wall.Seconds(), "wall-s")
				b.ReportMetric(fig.CPU.Seconds(), "cpu-s")
				b.ReportMetric(float64(fig.Events), "usage-events")
			}
		})
	}
}
