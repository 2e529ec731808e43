// Package bench measures the API's throughput and latency against a bare
// net/http handler doing the same single-row read and insert with the same
// database driver, in one process and one run, so the two can be compared
// as a ratio on a noisy machine.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"cellgate/internal/api"
	"cellgate/internal/catalog"
	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

// Target is one server under test: its handler, the project and key to
// call it with, and the users seeded for GET.
type Target struct {
	Name    string
	Handler http.Handler
	Project string
	Key     string   // Bearer token; the bare handler ignores it
	UserIDs []string // seeded users, read round-robin by GET scenarios
	PlanID  string   // an eSIM plan of the API target, for SUBSCRIBE
	URL     string   // base URL once Listen has been called

	// writerExec runs a statement on the connection that does the
	// writes, for experiments with its pragmas.
	writerExec func(ctx context.Context, query string) error
	closers    []func() error
}

// Close stops the listener (if any) and closes the database.
func (t *Target) Close() error {
	var err error
	for i := len(t.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, t.closers[i]())
	}
	t.closers = nil
	return err
}

// Listen serves the target on a random 127.0.0.1 port with the timeouts
// `cellgate serve` uses, so both targets pay the same net/http costs.
func (t *Target) Listen() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := NewHTTPServer(t.Handler)
	go func() { _ = srv.Serve(ln) }()
	t.URL = "http://" + ln.Addr().String()
	t.closers = append(t.closers, srv.Close)
	return nil
}

// NewHTTPServer wraps h in an http.Server configured like `cellgate serve`.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

// SetWALAutocheckpoint sets SQLite's wal_autocheckpoint (in pages; 0 turns
// it off) on the target's writer connection. It is an experiment: the
// commit that crosses the threshold runs the whole checkpoint, fsyncs
// included, while holding the only writer.
func (t *Target) SetWALAutocheckpoint(ctx context.Context, pages int) error {
	return t.writerExec(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint=%d", pages))
}

// JSONDiscardLogger logs like `cellgate serve` does off a terminal (JSON at
// info level) but into io.Discard: the formatting cost is still paid.
func JSONDiscardLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// StartAPI opens and migrates the database at dbURL, creates a fresh live
// project with an API key through the domain packages, seeds n users and
// builds the real API handler around it.
func StartAPI(ctx context.Context, dbURL string, log *slog.Logger, n int) (*Target, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	t := &Target{Name: "api", Project: newProjectID(), closers: []func() error{db.Close}}
	// db.Exec runs on the store's dedicated writer connection.
	t.writerExec = func(ctx context.Context, q string) error { _, err := db.Exec(ctx, q); return err }
	if _, err := db.Migrate(ctx); err != nil {
		t.Close()
		return nil, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now()
		if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: t.Project, Type: projects.TypeLive}, now); err != nil {
			return err
		}
		if _, t.Key, err = projects.NewKey(ctx, tx, t.Project, "bench", "", now); err != nil {
			return err
		}
		var plan catalog.PlanInput
		if err := json.Unmarshal([]byte(benchPlan), &plan); err != nil {
			return err
		}
		p, err := catalog.CreatePlan(ctx, tx, t.Project, plan, network.Default().IDs(), now)
		if err == nil {
			t.PlanID = p.ID
		}
		return err
	})
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("bench: api project: %w", err)
	}
	// Seed through the domain package, so the rows (and their events) are
	// exactly what POST /users would have written.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC().Truncate(time.Second)
		for i := range n {
			u, err := users.Create(ctx, tx, t.Project, users.CreateInput{
				Email: seedEmail(t.Project, i), FullName: optional.Of(seedName(i)),
			}, now)
			if err != nil {
				return err
			}
			t.UserIDs = append(t.UserIDs, u.ID)
		}
		return nil
	})
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("bench: seed api users: %w", err)
	}
	// Metrics as in `cellgate serve`: the Go and process collectors only
	// cost when /metrics is scraped, which the benchmark never does.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := api.New(api.Config{DB: db, Logger: log, Registry: reg, Version: "bench"})
	t.Handler = srv.Handler()
	return t, nil
}

// benchPlan is the plan SUBSCRIBE subscribes to: a monthly eSIM plan.
const benchPlan = `{"name": "Bench Monthly", "provider": "test", "simTypes": ["eSIM"],
	"price": {"amount": 1000, "currency": "USD"},
	"allowances": {"dataBytes": 10000000000, "voiceSeconds": null, "smsMessages": null},
	"validity": {"value": 1, "unit": "month", "type": "recurring"}}`

// ensureSchema migrates dbURL and creates project id in it, so the bare
// handler writes into the same table, with the same indexes, constraints
// and foreign key, as the API.
func ensureSchema(ctx context.Context, dbURL, id string) error {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		_, err := projects.Create(ctx, tx, projects.CreateInput{ID: id, Type: projects.TypeLive}, time.Now())
		return err
	})
}

// newProjectID is unique per run, so runs against one PostgreSQL database
// do not collide.
func newProjectID() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "bench-" + hex.EncodeToString(b)
}

func seedEmail(project string, i int) string {
	return fmt.Sprintf("seed-%d@%s.example.com", i, strings.TrimPrefix(project, "bench-"))
}

func seedName(i int) string { return fmt.Sprintf("Seed User %d", i) }
