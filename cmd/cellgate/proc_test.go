package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // for creating the PostgreSQL test schema
)

// Helpers for driving the real cellgate binary as a child process.

// e2eVersion is stamped into the test binary, so that `version` and
// /healthz can be checked for an exact value.
const e2eVersion = "v0.0.0-e2e"

// buildBinary compiles cellgate once into a temporary directory.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cellgate")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.buildVersion="+e2eVersion, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// childEnv is this process's environment without any CELLGATE_ setting
// (so a developer's shell cannot change what the test sees), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CELLGATE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a running cellgate process.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	err    error // set when done is closed
}

// start runs bin with args in a fresh working directory, so that a default
// database path can never land in the source tree.
func start(t testing.TB, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = t.TempDir()
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", args, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitStdout waits until stdout contains want and returns all of it.
func (p *proc) waitStdout(want string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := p.stdout.String()
		if strings.Contains(out, want) {
			return out
		}
		select {
		case <-p.done:
			p.t.Fatalf("cellgate exited (%v) before printing %q\nstdout:\n%s\nstderr:\n%s", p.err, want, out, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("cellgate did not print %q within %s\nstdout:\n%s\nstderr:\n%s", want, timeout, out, p.stderr.String())
		}
	}
}

// logLines decodes stderr; every line must be a JSON object, since stderr
// is not a terminal.
func (p *proc) logLines() []map[string]any {
	p.t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			p.t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// listenURL waits for the "cellgate listening" log line and returns the
// server's base URL (the server was started with --addr 127.0.0.1:0).
func (p *proc) listenURL(timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(p.stderr.String(), "cellgate listening") {
			for _, l := range p.logLines() {
				if l["msg"] == "cellgate listening" {
					return "http://" + l["addr"].(string)
				}
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("cellgate exited (%v) before listening\nstderr:\n%s", p.err, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.t.Fatalf("cellgate did not log that it listens within %s\nstderr:\n%s", timeout, p.stderr.String())
	return ""
}

// terminate sends SIGTERM and requires a clean exit within a few seconds.
func (p *proc) terminate() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.t.Fatalf("cellgate did not exit within 5s of SIGTERM\nstderr:\n%s", p.stderr.String())
	}
	if p.err != nil {
		p.t.Fatalf("cellgate exited with %v after SIGTERM, want status 0\nstderr:\n%s", p.err, p.stderr.String())
	}
}

// run runs a command to completion and returns its output and exit code.
func run(t testing.TB, bin string, env []string, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// waitHealthy polls /healthz until it answers 200.
func waitHealthy(t testing.TB, base string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			var body map[string]any
			derr := json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && derr == nil {
				return body
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz did not answer 200 within 10s (last error %v)", base, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// postgresSchema returns a URL for a fresh schema on the server named by
// base, dropped when the test ends.
func postgresSchema(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("CELLGATE_TEST_DATABASE_URL is set but PostgreSQL is unreachable: %v", err)
	}
	schema := "cge2e_" + randomHex(t, 6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
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

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
