package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/outbound"
	"cellgate/internal/platform"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/usage"
)

// The usage figures of issue 11 (BENCHMARKS.md, "Usage"): feed ingest,
// GET .../usage of a line with a year of records, and a year of modelled
// lines. `cellgate bench usage` and the Benchmark* functions of
// internal/usage run them.

// UsagePlan has limited allowances, so the ingest crosses thresholds.
const UsagePlan = `{"name":"Monthly","provider":"test","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
	"allowances":{"dataBytes":5000000000,"voiceSeconds":36000,"smsMessages":100},"validity":{"value":1,"unit":"month","type":"recurring"}}`

// UsageStart is when the benchmarks' lines are created.
var UsageStart = time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)

// QuietPlatform is the platform with a logger that discards.
func QuietPlatform(db *store.DB) *platform.Platform {
	return platform.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
}

// UsageFeed is a seeded test project of active lines and the feed of
// their usage, batch by batch.
type UsageFeed struct {
	DB      *store.DB
	Plat    *platform.Platform
	Project string
	ICCIDs  []string
	poll    outbound.Kind
	cursor  int
}

// NewUsageFeed seeds project with lines active subscriptions on
// UsagePlan and a feed cursor of the test provider.
func NewUsageFeed(ctx context.Context, db *store.DB, project string, lines int) (*UsageFeed, error) {
	plat := QuietPlatform(db)
	if _, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: project, N: lines, Start: UsageStart, Plan: UsagePlan}); err != nil {
		return nil, err
	}
	iccids, err := store.All(ctx, db, store.ScanString, `SELECT iccid FROM sims WHERE project_id = ? ORDER BY iccid`, project)
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(ctx, `INSERT INTO usage_feeds (project_id, provider, cursor) VALUES (?, 'test', 'c0')`, project); err != nil {
		return nil, err
	}
	return &UsageFeed{DB: db, Plat: plat, Project: project, ICCIDs: iccids, poll: plat.Usage.Operations()[usage.OpPoll]}, nil
}

// Batch is the n-th feed batch of 1,000 records: the lines in turn, each
// record one 3-hour interval, every 20th abroad.
func (f *UsageFeed) Batch(n int) network.UsageBatch {
	const size = network.MaxUsageLimit
	recs := make([]network.UsageRecord, size)
	for i := range recs {
		k := n*size + i
		line, interval := k%len(f.ICCIDs), k/len(f.ICCIDs)
		start := UsageStart.Add(2 * time.Hour).Add(time.Duration(interval) * 3 * time.Hour)
		r := network.UsageRecord{ICCID: f.ICCIDs[line], Start: start, End: start.Add(3 * time.Hour),
			DataBytes: int64(k%7919) * 4000, VoiceSeconds: int64(k % 61), SMSMessages: int64(k % 3), Country: "US", Roaming: "none",
			ReportedAt: start.Add(3 * time.Hour)}
		if k%20 == 0 {
			r.Country, r.Roaming = "CA", "international"
		}
		recs[i] = r
	}
	return network.UsageBatch{Records: recs, NextCursor: fmt.Sprintf("c%d", n+1)}
}

// Apply ingests a batch as the poll that read it from the stored cursor
// does: the batch as a Go value, in the transaction that moves the cursor.
func (f *UsageFeed) Apply(ctx context.Context, b network.UsageBatch) error {
	op := outbound.Operation{ID: "op_bench", Project: f.Project, Kind: usage.OpPoll, Target: "test",
		Payload: []byte(fmt.Sprintf(`{"provider":"test","cursor":"c%d"}`, f.cursor))}
	now := b.Records[len(b.Records)-1].ReportedAt
	if err := f.DB.InTx(ctx, func(tx *store.Tx) error { return f.poll.ApplyValue(ctx, tx, op, b, now) }); err != nil {
		return err
	}
	f.cursor++
	return nil
}

// Ingest counts records straight into the project, 1,000 per transaction.
func (f *UsageFeed) Ingest(ctx context.Context, recs []network.UsageRecord, now time.Time) error {
	for len(recs) > 0 {
		n := min(len(recs), network.MaxUsageLimit)
		if err := f.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := usage.Ingest(ctx, tx, f.Project, "test", recs[:n], now)
			return err
		}); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// UsageEvents counts the project's usage notification events.
func UsageEvents(ctx context.Context, db *store.DB, project string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE project_id = ? AND type LIKE 'com.gigs.usage%'`, project).Scan(&n)
	return n, err
}

// IngestFigure is one feed ingest run.
type IngestFigure struct {
	Engine          string
	Lines, Records  int
	Wall, CPU, Seed time.Duration
	Events          int
	Load            string
}

// PerSecond is records per second of wall time.
func (f IngestFigure) PerSecond() float64 { return float64(f.Records) / f.Wall.Seconds() }

// PerCPUSecond is records per second of the process's CPU time.
func (f IngestFigure) PerCPUSecond() float64 { return float64(f.Records) / f.CPU.Seconds() }

// UsageIngest seeds lines active lines and ingests records feed records
// (whole batches of 1,000) as the polls would.
func UsageIngest(ctx context.Context, db *store.DB, engine string, lines, records int) (IngestFigure, error) {
	fig := IngestFigure{Engine: engine, Lines: lines}
	began := time.Now()
	f, err := NewUsageFeed(ctx, db, newProjectID(), lines)
	if err != nil {
		return fig, err
	}
	fig.Seed = time.Since(began)
	for i := 0; i < records/network.MaxUsageLimit; i++ {
		b := f.Batch(i)
		began, cpu0 := time.Now(), processCPU()
		if err := f.Apply(ctx, b); err != nil {
			return fig, err
		}
		fig.Wall += time.Since(began)
		fig.CPU += processCPU() - cpu0
		fig.Records += len(b.Records)
	}
	fig.Load = loadAverage()
	fig.Events, err = UsageEvents(ctx, db, f.Project)
	return fig, err
}

// GETFigure is GET .../usage measured for one line count.
type GETFigure struct {
	Lines       int
	Query       string
	Requests    int
	P50, P99    time.Duration
	Records     int
	Seed        time.Duration
	Load        string
	Concurrency int
	Duration    time.Duration
	Failed      int
}

// UsageGETQueries are the answers measured: the default (the latest
// period) and the whole year.
var UsageGETQueries = []struct{ Name, Query string }{
	{"latest period", ""},
	{"a year", "?start=" + UsageStart.Format(time.RFC3339) + "&end=" + UsageStart.AddDate(1, 0, 0).Format(time.RFC3339)},
}

// UsageGET seeds lines lines with a week of usage each, and a year of
// daily records in 5 countries for the first, then measures GET .../usage
// of that line with c clients for d per query.
func UsageGET(ctx context.Context, db *store.DB, lines, c int, d time.Duration) ([]GETFigure, error) {
	began := time.Now()
	f, err := NewUsageFeed(ctx, db, newProjectID(), lines)
	if err != nil {
		return nil, err
	}
	for day := 0; day < 7; day++ {
		var recs []network.UsageRecord
		for _, iccid := range f.ICCIDs {
			start := UsageStart.Add(2*time.Hour).AddDate(0, 0, day)
			recs = append(recs, network.UsageRecord{ICCID: iccid, Start: start, End: start.Add(time.Hour), DataBytes: 1000, Country: "US", Roaming: "none"})
		}
		if err := f.Ingest(ctx, recs, UsageStart.AddDate(0, 0, day+1)); err != nil {
			return nil, err
		}
	}
	var year []network.UsageRecord
	for day := 0; day < 365; day++ {
		for i, country := range []string{"US", "CA", "MX", "GB", "FR"} {
			start := UsageStart.Add(2*time.Hour).AddDate(0, 0, day)
			roaming := network.RoamingInternational
			if i == 0 {
				roaming = network.RoamingNone
			}
			year = append(year, network.UsageRecord{ICCID: f.ICCIDs[0], Start: start, End: start.Add(time.Hour), DataBytes: 1000,
				VoiceSeconds: 60, SMSMessages: 1, Country: country, Roaming: roaming})
		}
	}
	if err := f.Ingest(ctx, year, UsageStart.AddDate(1, 0, 0)); err != nil {
		return nil, err
	}
	var sub, key string
	if err := db.QueryRow(ctx, `SELECT s.id FROM subscriptions s JOIN sims m ON m.id = s.sim_id WHERE m.iccid = ?`, f.ICCIDs[0]).Scan(&sub); err != nil {
		return nil, err
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE projects SET clock_now = ? WHERE id = ?`, store.Micros(UsageStart.AddDate(1, 0, 1)), f.Project); err != nil {
			return err
		}
		_, key, err = projects.NewKey(ctx, tx, f.Project, "bench", "", time.Now())
		return err
	}); err != nil {
		return nil, err
	}
	seeded := time.Since(began)
	srv := httptest.NewServer(api.New(api.Config{DB: db, Platform: f.Plat, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	defer srv.Close()
	base := srv.URL + "/projects/" + f.Project + "/subscriptions/" + sub + "/usage"
	var out []GETFigure
	for _, q := range UsageGETQueries {
		fig := measureGET(ctx, base+q.Query, key, c, d)
		fig.Lines, fig.Query, fig.Seed, fig.Load, fig.Concurrency, fig.Duration = lines, q.Name, seeded, loadAverage(), c, d
		out = append(out, fig)
	}
	return out, nil
}

// measureGET runs c keep-alive clients for d and returns the latencies'
// p50 and p99.
func measureGET(ctx context.Context, url, key string, c int, d time.Duration) GETFigure {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	defer client.CloseIdleConnections()
	var (
		mu     sync.Mutex
		all    []time.Duration
		failed int
		wg     sync.WaitGroup
	)
	end := time.Now().Add(d)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(end) && ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				began := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, time.Since(began))
			}
			mu.Lock()
			all, failed = append(all, mine...), failed+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	return GETFigure{Requests: len(all), P50: Percentile(all, 0.50), P99: Percentile(all, 0.99), Failed: failed}
}

// YearFigure is a year of modelled lines.
type YearFigure struct {
	Engine               string
	Lines                int
	Wall, CPU            time.Duration
	Timers, Days, Events int
	Load                 string
	Model                string
	Start, End           time.Time
}

// UsageYear seeds lines active lines on the typical traffic model and
// advances their test project by one year: renewals, the feed's daily
// polls, ingest and notifications.
func UsageYear(ctx context.Context, db *store.DB, engine string, lines int) (YearFigure, error) {
	fig := YearFigure{Engine: engine, Lines: lines, Model: "typical"}
	plat := QuietPlatform(db)
	project := newProjectID()
	if _, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: project, N: lines, Start: UsageStart, Plan: UsagePlan}); err != nil {
		return fig, err
	}
	subs, err := store.All(ctx, db, store.ScanString, `SELECT id FROM subscriptions WHERE project_id = ? ORDER BY id`, project)
	if err != nil {
		return fig, err
	}
	fig.Start = UsageStart.Add(time.Hour)
	fig.End = fig.Start.AddDate(1, 0, 0)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range subs {
			if _, err := usage.SetModel(ctx, tx, project, id, usage.ModelInput{Model: optional.Of(fig.Model)}, fig.Start); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fig, err
	}
	began, cpu0 := time.Now(), processCPU()
	if fig.Timers, err = plat.Timeline.Advance(ctx, project, fig.End); err != nil {
		return fig, err
	}
	fig.Wall, fig.CPU, fig.Load = time.Since(began), processCPU()-cpu0, loadAverage()
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM usage_days d JOIN subscriptions s ON s.id = d.subscription_id WHERE s.project_id = ?`,
		project).Scan(&fig.Days); err != nil {
		return fig, err
	}
	if fig.Events, err = UsageEvents(ctx, db, project); err != nil {
		return fig, err
	}
	if fig.Days < lines*360 {
		return fig, fmt.Errorf("bench: %d day records for %d lines over a year", fig.Days, lines)
	}
	return fig, nil
}
