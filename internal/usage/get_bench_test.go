package usage_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/network"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/usage"
)

// TestUsageRecordsGETLatency measures GET .../usage of a line with a year
// of daily records in 5 countries, at c=16 for CELLGATE_BENCH_USAGE_GET
// seconds, with CELLGATE_BENCH_USAGE_GET_LINES lines in the project (a
// comma-separated list, such as 1000,100000; every other line has a week of
// usage), for the default answer (the latest period) and the whole year.
// It runs only when CELLGATE_BENCH_USAGE_GET is set.
func TestUsageRecordsGETLatency(t *testing.T) {
	secs := envInt("CELLGATE_BENCH_USAGE_GET", 0)
	if secs == 0 {
		t.Skip("set CELLGATE_BENCH_USAGE_GET=5 (seconds per measure) to run")
	}
	counts := strings.Split(os.Getenv("CELLGATE_BENCH_USAGE_GET_LINES"), ",")
	if counts[0] == "" {
		counts = []string{"1000"}
	}
	engine := storetest.Engines(t)[0]
	for _, c := range counts {
		lines, err := strconv.Atoi(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("%s-%d", engine.Name, lines), func(t *testing.T) {
			ctx := context.Background()
			db := engine.Open(t)
			seeded := time.Now()
			f := newFeedBench(t, db, lines)
			// A week of usage for every line, then a year in 5 countries for one.
			for day := 0; day < 7; day++ {
				var recs []network.UsageRecord
				for _, iccid := range f.iccids {
					start := benchStart.Add(2*time.Hour).AddDate(0, 0, day)
					recs = append(recs, network.UsageRecord{ICCID: iccid, Start: start, End: start.Add(time.Hour), DataBytes: 1000, Country: "US", Roaming: "none"})
				}
				ingestAll(t, db, recs, benchStart.AddDate(0, 0, day+1))
			}
			var year []network.UsageRecord
			for day := 0; day < 365; day++ {
				for i, country := range []string{"US", "CA", "MX", "GB", "FR"} {
					start := benchStart.Add(2*time.Hour).AddDate(0, 0, day)
					roaming := network.RoamingInternational
					if i == 0 {
						roaming = network.RoamingNone
					}
					year = append(year, network.UsageRecord{ICCID: f.iccids[0], Start: start, End: start.Add(time.Hour), DataBytes: 1000, VoiceSeconds: 60, SMSMessages: 1, Country: country, Roaming: roaming})
				}
			}
			ingestAll(t, db, year, benchStart.AddDate(1, 0, 0))
			var sub, key string
			if err := db.QueryRow(ctx, `SELECT s.id FROM subscriptions s JOIN sims m ON m.id = s.sim_id WHERE m.iccid = ?`, f.iccids[0]).Scan(&sub); err != nil {
				t.Fatal(err)
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `UPDATE projects SET clock_now = ? WHERE id = 'bench'`, store.Micros(benchStart.AddDate(1, 0, 1))); err != nil {
					return err
				}
				_, key, err = projects.NewKey(ctx, tx, "bench", "bench", "", time.Now())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			t.Logf("seeded %d lines and their usage in %s", lines, time.Since(seeded))
			srv := httptest.NewServer(api.New(api.Config{DB: db, Platform: f.plat, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
			defer srv.Close()
			base := srv.URL + "/projects/bench/subscriptions/" + sub + "/usage"
			for _, q := range []struct{ name, query string }{
				{"latest period", ""},
				{"a year", "?start=" + benchStart.Format(time.RFC3339) + "&end=" + benchStart.AddDate(1, 0, 0).Format(time.RFC3339)},
			} {
				p50, p99, n := measureGET(t, base+q.query, key, 16, time.Duration(secs)*time.Second)
				t.Logf("%d lines, %s: %d requests, p50 %s, p99 %s", lines, q.name, n, p50, p99)
			}
		})
	}
}

func ingestAll(t *testing.T, db *store.DB, recs []network.UsageRecord, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for len(recs) > 0 {
		n := min(len(recs), network.MaxUsageLimit)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := usage.Ingest(ctx, tx, "bench", "test", recs[:n], now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		recs = recs[n:]
	}
}

// measureGET runs c clients for d and returns the p50 and p99 latency.
func measureGET(t *testing.T, url, key string, c int, d time.Duration) (time.Duration, time.Duration, int) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	var (
		mu  sync.Mutex
		all []time.Duration
		wg  sync.WaitGroup
	)
	end := time.Now().Add(d)
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(end) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				began := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d", resp.StatusCode)
					return
				}
				mine = append(mine, time.Since(began))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	if len(all) == 0 {
		t.Fatal("no request finished")
	}
	return all[len(all)/2], all[len(all)*99/100], len(all)
}
