// Package apitest runs the real API over real HTTP on a real database for
// tests: one Env per test, with a project and its API key ready.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// Env is a running API with one test project.
type Env struct {
	T       testing.TB
	DB      *store.DB
	Server  *httptest.Server
	Project string // id of the project the Key belongs to
	Key     string
}

// New starts the API on db and creates the test project "acme".
func New(t testing.TB, db *store.DB) *Env {
	t.Helper()
	return NewWith(t, db, api.Config{})
}

// NewWith is New with a configuration, for tests that read the server's
// logs or metrics; the database is db, and an unset Logger logs errors to
// stderr.
func NewWith(t testing.TB, db *store.DB, cfg api.Config) *Env {
	t.Helper()
	cfg.DB = db
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	if cfg.Version == "" {
		cfg.Version = "test"
	}
	srv := api.New(cfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &Env{T: t, DB: db, Server: ts}
	e.Project, e.Key = "acme", e.NewProject("acme", projects.TypeTest)
	return e
}

// NewProject creates another project and returns an API key for it.
func (e *Env) NewProject(id string, typ projects.Type) string {
	e.T.Helper()
	var key string
	err := e.DB.InTx(context.Background(), func(tx *store.Tx) error {
		now := time.Now()
		if _, err := projects.Create(context.Background(), tx, projects.CreateInput{ID: id, Type: typ}, now); err != nil {
			return err
		}
		var err error
		_, key, err = projects.NewKey(context.Background(), tx, id, "test", "", now)
		return err
	})
	if err != nil {
		e.T.Fatalf("apitest: create project %s: %v", id, err)
	}
	return key
}

// P turns a path below the project into a full path: P("/users") is
// "/projects/acme/users".
func (e *Env) P(path string) string { return "/projects/" + e.Project + path }

// Response is a finished HTTP exchange.
type Response struct {
	t      testing.TB
	Status int
	Header http.Header
	Body   []byte
}

// Request describes one call; Key defaults to the Env's key, and
// NoAuth sends no Authorization header at all.
type Request struct {
	Method  string
	Path    string
	Body    any // encoded as JSON unless it is a string or []byte, sent as is
	Key     string
	NoAuth  bool
	Headers map[string]string
}

// Do performs a request against the running server.
func (e *Env) Do(r Request) *Response {
	e.T.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("apitest: encode body: %v", err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(r.Method, e.Server.URL+r.Path, body)
	if err != nil {
		e.T.Fatalf("apitest: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if !r.NoAuth {
		key := r.Key
		if key == "" {
			key = e.Key
		}
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatalf("apitest: %s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatalf("apitest: read body: %v", err)
	}
	out := &Response{t: e.T, Status: resp.StatusCode, Header: resp.Header, Body: raw}
	checkContract(e.T, req, out)
	return out
}

// Get, Post, Patch and Delete are Do for the common cases.
func (e *Env) Get(path string) *Response { return e.Do(Request{Method: http.MethodGet, Path: path}) }
func (e *Env) Post(path string, body any) *Response {
	return e.Do(Request{Method: http.MethodPost, Path: path, Body: body})
}
func (e *Env) Patch(path string, body any) *Response {
	return e.Do(Request{Method: http.MethodPatch, Path: path, Body: body})
}
func (e *Env) Delete(path string) *Response {
	return e.Do(Request{Method: http.MethodDelete, Path: path})
}

// JSON decodes the body as an object.
func (r *Response) JSON() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("apitest: body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// Decode decodes the body into v.
func (r *Response) Decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("apitest: decode body: %v\n%s", err, r.Body)
	}
}

// Expect fails the test unless the status is want; it returns r for chaining.
func (r *Response) Expect(want int) *Response {
	r.t.Helper()
	if r.Status != want {
		r.t.Fatalf("apitest: status %d, want %d; body: %s", r.Status, want, r.Body)
	}
	return r
}

// ExpectError checks the error envelope: status, type and, if not empty, code.
func (r *Response) ExpectError(status int, typ, code string) map[string]any {
	r.t.Helper()
	r.Expect(status)
	m := r.JSON()
	if m["object"] != "error" || m["type"] != typ {
		r.t.Fatalf("apitest: want error type %q, got %s", typ, r.Body)
	}
	if code != "" && m["code"] != code {
		r.t.Fatalf("apitest: want error code %q, got %s", code, r.Body)
	}
	if msg, _ := m["message"].(string); msg == "" {
		r.t.Fatalf("apitest: error without a message: %s", r.Body)
	}
	return m
}

// ID returns the "id" field of the body.
func (r *Response) ID() string {
	r.t.Helper()
	id, _ := r.JSON()["id"].(string)
	if id == "" {
		r.t.Fatalf("apitest: response has no id: %s", r.Body)
	}
	return id
}
