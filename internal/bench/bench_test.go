package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cellgate/internal/store/storetest"
)

// engine gives both targets a fresh database of one engine.
type engine struct {
	name string
	open func(t *testing.T) (apiURL, bareURL string)
}

// engines lists SQLite and, when CELLGATE_TEST_DATABASE_URL is set,
// PostgreSQL in a schema of its own shared by both targets.
func engines() []engine {
	out := []engine{{"sqlite", func(t *testing.T) (string, string) {
		dir := t.TempDir()
		return "sqlite:" + filepath.Join(dir, "api.db"), "sqlite:" + filepath.Join(dir, "bare.db")
	}}}
	if base := os.Getenv(storetest.EnvPostgres); base != "" {
		out = append(out, engine{"postgres", func(t *testing.T) (string, string) {
			u := postgresSchema(t, base)
			return u, u
		}})
	}
	return out
}

func postgresSchema(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "cgbench_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("postgres unreachable or schema not created: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// start runs both targets over real HTTP.
func start(t *testing.T, apiURL, bareURL string, users int) (apiT, bareT *Target) {
	t.Helper()
	ctx := context.Background()
	apiT, err := StartAPI(ctx, apiURL, JSONDiscardLogger(), users)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { apiT.Close() })
	bareT, err = StartBare(ctx, bareURL, users)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bareT.Close() })
	for _, tg := range []*Target{apiT, bareT} {
		if err := tg.Listen(); err != nil {
			t.Fatal(err)
		}
	}
	return apiT, bareT
}

// TestScenarios drives all four scenarios briefly on every engine: each
// must succeed on every request and measure something.
func TestScenarios(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			apiURL, bareURL := e.open(t)
			apiT, bareT := start(t, apiURL, bareURL, 20)
			load := Load{Concurrency: 4, Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond}
			for _, s := range []Scenario{GetScenario(apiT), GetScenario(bareT), PostScenario(apiT), PostScenario(bareT)} {
				r := Drive(context.Background(), s, load)
				if r.Errors != 0 || r.Requests == 0 {
					t.Errorf("%s: %d requests, %d errors (first: %s)", s.Name, r.Requests, r.Errors, r.FirstError)
				}
				if r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 || r.RPS() <= 0 {
					t.Errorf("%s: implausible latencies p50 %s p99 %s max %s, %.0f req/s", s.Name, r.P50, r.P99, r.Max, r.RPS())
				}
			}
		})
	}
}

// TestSameShape checks that the bare handler answers GET and POST with the
// user shape the API returns, so the baseline encodes the same document.
func TestSameShape(t *testing.T) {
	dir := t.TempDir()
	apiT, bareT := start(t, "sqlite:"+filepath.Join(dir, "api.db"), "sqlite:"+filepath.Join(dir, "bare.db"), 3)
	for _, s := range []func(*Target) Scenario{GetScenario, PostScenario} {
		var shapes [2][]string
		for j, tg := range []*Target{apiT, bareT} {
			sc := s(tg)
			path, body := sc.Next(0, 1)
			status, doc := fetch(t, sc, path, body)
			if status != sc.Want {
				t.Fatalf("%s: status %d: %s", sc.Name, status, doc)
			}
			var m map[string]any
			if err := json.Unmarshal(doc, &m); err != nil {
				t.Fatalf("%s: %v", sc.Name, err)
			}
			if m["object"] != "user" || !strings.HasPrefix(m["id"].(string), "usr_") {
				t.Errorf("%s: not a user: %s", sc.Name, doc)
			}
			if sc.Method == http.MethodGet && m["id"] != tg.UserIDs[1%len(tg.UserIDs)] {
				t.Errorf("%s: got user %v, want one of the seeded", sc.Name, m["id"])
			}
			for k := range m {
				shapes[j] = append(shapes[j], k)
			}
			slices.Sort(shapes[j])
		}
		if !slices.Equal(shapes[0], shapes[1]) {
			t.Errorf("fields differ: api %v, bare %v", shapes[0], shapes[1])
		}
	}
}

func fetch(t *testing.T, s Scenario, path string, body []byte) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, _ := http.NewRequest(s.Method, s.Target.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.Target.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestDriveCountsErrors: a wrong key makes every answer a 401, and every
// one of them must be counted, so a broken run cannot pass as fast.
func TestDriveCountsErrors(t *testing.T) {
	dir := t.TempDir()
	apiT, _ := start(t, "sqlite:"+filepath.Join(dir, "api.db"), "sqlite:"+filepath.Join(dir, "bare.db"), 5)
	wrong := *apiT
	wrong.Key = "cgk_wrong-key-wrong-key-wrong"
	r := Drive(context.Background(), GetScenario(&wrong), Load{Concurrency: 2, Duration: 100 * time.Millisecond})
	// Errors also counts the warm-up, so it may exceed Requests.
	if r.Requests == 0 || r.Errors < r.Requests || r.FirstError != "status 401" {
		t.Errorf("%d requests, %d errors, first %q; want every request a 401 error", r.Requests, r.Errors, r.FirstError)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four is the second", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 1, 100 * time.Millisecond},
	} {
		if got := Percentile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestProfilePath(t *testing.T) {
	for _, c := range []struct{ base, scenario, want string }{
		{"/tmp/cpu.pprof", "GET api", "/tmp/cpu.get-api.pprof"},
		{"cpu", "POST bare", "cpu.post-bare"},
	} {
		if got := ProfilePath(c.base, c.scenario); got != c.want {
			t.Errorf("ProfilePath(%q, %q) = %q, want %q", c.base, c.scenario, got, c.want)
		}
	}
}

// TestDatabasesWantsFreshFiles: reusing a database would measure a warm,
// grown file and collide with earlier seeds.
func TestDatabasesWantsFreshFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	if _, _, _, err := databases("sqlite:" + path); err != nil {
		t.Fatalf("fresh path refused: %v", err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := databases("sqlite:" + path); err == nil {
		t.Error("existing file accepted")
	}
	if _, _, _, err := databases("mysql://x"); err == nil {
		t.Error("unsupported URL accepted")
	}
}

// TestSetWALAutocheckpoint: the experiment must reach the connection that
// writes, or it would measure nothing. With checkpoints off, the WAL grows
// past SQLite's default threshold of 1000 pages instead of restarting.
func TestSetWALAutocheckpoint(t *testing.T) {
	dir := t.TempDir()
	apiT, bareT := start(t, "sqlite:"+filepath.Join(dir, "api.db"), "sqlite:"+filepath.Join(dir, "bare.db"), 1)
	for _, tg := range []*Target{apiT, bareT} {
		if err := tg.SetWALAutocheckpoint(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		s := PostScenario(tg)
		for i := range 500 { // ≥ 4 pages a user: about 2000 pages or more
			path, body := s.Next(0, i)
			if status, doc := fetch(t, s, path, body); status != s.Want {
				t.Fatalf("%s: status %d: %s", s.Name, status, doc)
			}
		}
		st, err := os.Stat(filepath.Join(dir, tg.Name+".db-wal"))
		if err != nil {
			t.Fatal(err)
		}
		// A checkpointed WAL restarts at the front and stays near 1000
		// pages, overshooting by at most one commit.
		if pages := st.Size() / (4096 + 24); pages <= 1500 {
			t.Errorf("%s: WAL holds %d pages; with wal_autocheckpoint=0 it should have grown well past 1000", tg.Name, pages)
		}
	}
}

// TestMedians: with two rounds the median is their mean, and the ratio is
// the median of the per-round ratios, not the ratio of the medians.
func TestMedians(t *testing.T) {
	res := func(name string, n int, p99 time.Duration) Result {
		return Result{Scenario: name, Requests: n, Elapsed: time.Second, P50: p99 / 2, P99: p99}
	}
	rep := &Report{Rounds: [][]Result{
		{res("GET api", 100, 4*time.Millisecond), res("GET bare", 200, 2*time.Millisecond)},
		{res("GET api", 300, 8*time.Millisecond), res("GET bare", 300, 6*time.Millisecond)},
	}}
	m := rep.Medians()
	if len(m) != 2 {
		t.Fatalf("%d medians, want 2", len(m))
	}
	if m[0].Scenario != "GET api" || m[0].RPS != 200 || m[0].P99 != 6*time.Millisecond || m[0].Ratio != 0.75 {
		t.Errorf("api median = %+v; want 200 req/s, p99 6ms, ratio (0.5+1)/2 = 0.75", m[0])
	}
	if m[1].RPS != 250 || m[1].Ratio != 0 {
		t.Errorf("bare median = %+v; want 250 req/s and no ratio", m[1])
	}
}
