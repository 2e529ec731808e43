package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	cgbench "cellgate/internal/bench"
	"cellgate/internal/store"
)

// benchUsage measures the usage figures of issue 11 (BENCHMARKS.md, "Usage").
func benchUsage(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench usage", "[flags]", stdout)
	fs.about = "Measures feed ingest, GET .../usage and a year of modelled lines (issue 11) on fresh databases and prints the figures."
	db := fs.String("database", "", "a postgres:// URL (each measure in a project of its own); default: a fresh SQLite file per measure in a temp dir")
	only := fs.String("only", "ingest,get,year", "comma-separated measures: ingest, get, year")
	lines := fs.Int("lines", 10000, "ingest: active lines")
	records := fs.Int("records", 1_000_000, "ingest: feed records (whole batches of 1,000)")
	getLines := fs.String("get-lines", "1000,100000", "get: comma-separated line counts to compare")
	getDuration := fs.Duration("get-duration", 5*time.Second, "get: measured time per query and line count")
	concurrency := fs.Int("concurrency", 16, "get: concurrent keep-alive clients")
	modelLines := fs.Int("model-lines", 1000, "year: lines on the typical traffic model")
	if _, err := fs.parse(args); err != nil {
		return err
	}
	var counts []int
	for _, s := range strings.Split(*getLines, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return usageErrorf(fs.Name(), "--get-lines must be comma-separated positive numbers; got %q", *getLines)
		}
		counts = append(counts, n)
	}
	if *lines < 1 || *records < 1000 || *modelLines < 1 || *concurrency < 1 || *getDuration <= 0 {
		return usageErrorf(fs.Name(), "--lines, --model-lines and --concurrency must be ≥ 1, --records ≥ 1000 and --get-duration > 0")
	}
	measures := map[string]bool{}
	for _, m := range strings.Split(*only, ",") {
		if m != "ingest" && m != "get" && m != "year" {
			return usageErrorf(fs.Name(), "--only takes ingest, get and year; got %q", m)
		}
		measures[m] = true
	}
	if *db != "" && !strings.HasPrefix(*db, "postgres://") && !strings.HasPrefix(*db, "postgresql://") {
		return usageErrorf(fs.Name(), "--database must be a postgres:// URL, or left out for fresh SQLite files")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "cellgate-bench-usage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fresh := 0
	open := func() (*store.DB, string, error) {
		url, engine := *db, "postgres"
		if url == "" {
			fresh++
			url, engine = "sqlite:"+filepath.Join(dir, fmt.Sprintf("usage%d.db", fresh)), "sqlite"
		}
		d, err := store.Open(ctx, url)
		if err != nil {
			return nil, "", err
		}
		if _, err := d.Migrate(ctx); err != nil {
			d.Close()
			return nil, "", err
		}
		return d, engine, nil
	}
	fmt.Fprintf(stdout, "cellgate %s, bench usage, %s\n", version(), time.Now().UTC().Format(time.RFC3339))
	if measures["ingest"] {
		d, engine, err := open()
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "ingest: seeding %d lines, then %d records\n", *lines, *records)
		f, err := cgbench.UsageIngest(ctx, d, engine, *lines, *records)
		d.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "ingest %s: %d records over %d lines in %s (%s CPU): %.0f records/s, %.0f records per CPU second; %d usage events; load %s\n",
			f.Engine, f.Records, f.Lines, f.Wall.Round(time.Millisecond), f.CPU.Round(time.Millisecond), f.PerSecond(), f.PerCPUSecond(), f.Events, f.Load)
	}
	if measures["get"] {
		var first []cgbench.GETFigure
		for _, n := range counts {
			d, engine, err := open()
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "get: seeding %d lines and their usage\n", n)
			figs, err := cgbench.UsageGET(ctx, d, n, *concurrency, *getDuration)
			d.Close()
			if err != nil {
				return err
			}
			for i, f := range figs {
				ratio := ""
				if first == nil {
					ratio = "1.00"
				} else if first[i].P99 > 0 {
					ratio = fmt.Sprintf("%.2f", float64(f.P99)/float64(first[i].P99))
				}
				fmt.Fprintf(stdout, "get %s, %d lines, %s, c=%d: %d requests (%d failed), p50 %s, p99 %s, p99 ratio to %d lines %s; load %s\n",
					engine, f.Lines, f.Query, f.Concurrency, f.Requests, f.Failed, ms(f.P50), ms(f.P99), counts[0], ratio, f.Load)
			}
			if first == nil {
				first = figs
			}
		}
	}
	if measures["year"] {
		d, engine, err := open()
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "year: seeding %d lines on the typical model, then advancing a year\n", *modelLines)
		f, err := cgbench.UsageYear(ctx, d, engine, *modelLines)
		d.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "year %s: %d %s lines advanced one year in %s (%s CPU): %d timers, %d day records, %d usage events; load %s\n",
			f.Engine, f.Lines, f.Model, f.Wall.Round(time.Millisecond), f.CPU.Round(time.Millisecond), f.Timers, f.Days, f.Events, f.Load)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
