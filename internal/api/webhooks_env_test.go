package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/webhooks"
)

// hookEnv is the API with a running delivery worker. Unless cfg says
// otherwise, private targets are allowed (receivers listen on loopback)
// and retries are quick.
func hookEnv(t *testing.T, db *store.DB, cfg webhooks.Config, allowPrivate bool) *apitest.Env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	plat := platform.New(db, log, nil)
	if cfg.Schedule == nil {
		cfg.Schedule = []time.Duration{0, 50 * time.Millisecond, 50 * time.Millisecond}
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	cfg.AllowPrivate = allowPrivate
	plat.Webhooks.Config = cfg
	srv := api.New(api.Config{DB: db, Logger: log, Version: "test", Platform: plat})
	ts := httptest.NewServer(srv.Handler())
	e := &apitest.Env{T: t, DB: db, Server: ts}
	e.Project, e.Key = "acme", e.NewProject("acme", projects.TypeTest)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); plat.Webhooks.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; ts.Close() })
	return e
}

// hit is one request a receiver got.
type hit struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// receiver records every request and answers with reply(n), n counting
// from 1.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	hits  []hit
	reply func(n int, w http.ResponseWriter)
}

func newReceiver(t *testing.T, reply func(n int, w http.ResponseWriter)) *receiver {
	r := &receiver{reply: reply}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, hit{Header: req.Header.Clone(), Body: body, At: time.Now()})
		n := len(r.hits)
		reply := r.reply
		r.mu.Unlock()
		if reply != nil {
			reply(n, w)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setReply(f func(n int, w http.ResponseWriter)) {
	r.mu.Lock()
	r.reply = f
	r.mu.Unlock()
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func status(code int) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) { w.WriteHeader(code) }
}

// createEndpoint registers url and returns the endpoint's id and secret.
func createEndpoint(t testing.TB, e *apitest.Env, body map[string]any) (string, string) {
	t.Helper()
	m := e.Post(e.P("/webhookEndpoints"), body).Expect(http.StatusCreated).JSON()
	return m["id"].(string), m["secret"].(string)
}

// delivery reads one delivery of an endpoint.
type deliveryView struct {
	ID       string `json:"id"`
	Event    string `json:"event"`
	Status   string `json:"status"`
	Attempts []struct {
		Attempt    int     `json:"attempt"`
		StatusCode *int    `json:"statusCode"`
		Error      *string `json:"error"`
	} `json:"attempts"`
}

func deliveries(t *testing.T, e *apitest.Env, endpoint string) []deliveryView {
	t.Helper()
	var page struct {
		Items []deliveryView `json:"items"`
	}
	e.Get(e.P("/webhookEndpoints/" + endpoint + "/deliveries?limit=200")).Expect(http.StatusOK).Decode(&page)
	return page.Items
}

func createUser(t *testing.T, e *apitest.Env, email string) string {
	t.Helper()
	return e.Post(e.P("/users"), map[string]any{"email": email}).Expect(http.StatusCreated).ID()
}

func jsonField(t *testing.T, body []byte, field string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("webhook body is not JSON: %v", err)
	}
	return m[field]
}
