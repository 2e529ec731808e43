package webhooks_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestCrashKeepsEveryDelivery is the durability test: the real
// binary is killed with SIGKILL while hundreds of deliveries are pending,
// restarted, and every event still reaches the receiver at least once,
// signed. It logs the duplicate rate. Set CELLGATE_TEST_SHORT_CRASH=1 to
// skip it.
func TestCrashKeepsEveryDelivery(t *testing.T) {
	if testing.Short() || os.Getenv("CELLGATE_TEST_SHORT_CRASH") != "" {
		t.Skip("builds and kills the real binary")
	}
	bin := filepath.Join(t.TempDir(), "cellgate")
	if out, err := exec.Command("go", "build", "-o", bin, "cellgate/cmd/cellgate").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "crash.db")}
	if pg := os.Getenv(storetest.EnvPostgres); pg != "" {
		dbs["postgres"] = pgSchema(t, pg)
	}
	for name, dbURL := range dbs {
		t.Run(name, func(t *testing.T) { crashOnce(t, bin, dbURL) })
	}
}

const crashEvents = 600

func crashOnce(t *testing.T, bin, dbURL string) {
	rcv := &crashReceiver{seen: map[string]int{}, delay: 150 * time.Millisecond}
	ts := httptest.NewServer(rcv)
	t.Cleanup(ts.Close)

	srv := startServe(t, bin, dbURL, "--demo")
	key := regexp.MustCompile(`GIGS_TOKEN=(\S+)`).FindStringSubmatch(srv.waitOut("GIGS_TOKEN="))[1]
	base := srv.base
	var ep struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	call(t, base, key, "POST", "/projects/demo/webhookEndpoints", `{"url":"`+ts.URL+`/hook","enabledEvents":["user.created"]}`, &ep)
	rcv.secret = ep.Secret

	// Create the events quickly; the slow receiver keeps most deliveries
	// pending.
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < crashEvents; i += 8 {
				call(t, base, key, "POST", "/projects/demo/users", fmt.Sprintf(`{"email":"u%d@example.com"}`, i), nil)
			}
		}()
	}
	wg.Wait()
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending := count(t, db, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`)
	_ = srv.cmd.Process.Signal(syscall.SIGKILL)
	<-srv.done
	t.Logf("killed with %d of %d deliveries pending, %d requests received so far", pending, crashEvents, rcv.total())
	if pending < 100 {
		t.Fatalf("only %d deliveries pending at the kill; the test proves nothing", pending)
	}

	rcv.setDelay(0)
	startServe(t, bin, dbURL)
	want := map[string]bool{}
	rows, err := db.Query(context.Background(), `SELECT id FROM events WHERE project_id = 'demo' AND type = 'com.gigs.user.created'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		want["msg_"+strings.TrimPrefix(id, "evt_")] = true
	}
	rows.Close()
	if len(want) != crashEvents {
		t.Fatalf("%d user.created events, want %d", len(want), crashEvents)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		// Done when every event arrived and nothing is pending, so the
		// attempts the kill cut short have been resent and counted.
		missing := rcv.missing(want)
		left := count(t, db, `SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded'`)
		if missing == 0 && left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events never delivered, %d deliveries not succeeded", missing, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	total, bad := rcv.total(), rcv.badSignatures()
	if bad != 0 {
		t.Errorf("%d deliveries failed verification with the official library", bad)
	}
	dups := total - crashEvents
	t.Logf("every one of %d events delivered; %d requests, %d duplicates (%.1f%%)", crashEvents, total, dups, 100*float64(dups)/crashEvents)
}

// crashReceiver counts deliveries per webhook-id and verifies each.
type crashReceiver struct {
	mu     sync.Mutex
	seen   map[string]int
	bad    int
	delay  time.Duration
	secret string
}

func (c *crashReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	delay, secret := c.delay, c.secret
	c.mu.Unlock()
	time.Sleep(delay)
	wh, _ := standardwebhooks.NewWebhook(secret)
	ok := wh.Verify(body, r.Header) == nil
	c.mu.Lock()
	c.seen[r.Header.Get("webhook-id")]++
	if !ok {
		c.bad++
	}
	c.mu.Unlock()
}

func (c *crashReceiver) setDelay(d time.Duration) { c.mu.Lock(); c.delay = d; c.mu.Unlock() }
func (c *crashReceiver) badSignatures() int       { c.mu.Lock(); defer c.mu.Unlock(); return c.bad }

func (c *crashReceiver) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.seen {
		n += k
	}
	return n
}

func (c *crashReceiver) missing(want map[string]bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for id := range want {
		if c.seen[id] == 0 {
			n++
		}
	}
	return n
}

type served struct {
	cmd  *exec.Cmd
	base string
	out  bytes.Buffer
	mu   sync.Mutex
	done chan struct{}
}

func (s *served) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *served) waitOut(want string) string {
	for i := 0; i < 300; i++ {
		s.mu.Lock()
		out := s.out.String()
		s.mu.Unlock()
		if strings.Contains(out, want) {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ""
}

// startServe runs `cellgate serve` on a free port and waits until it
// answers. A short attempt timeout keeps the leases of the attempts the
// kill interrupts short.
func startServe(t *testing.T, bin, dbURL string, extra ...string) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &served{base: "http://" + addr, done: make(chan struct{})}
	args := append([]string{"serve", "--addr", addr, "--database", dbURL, "--webhooks-allow-private", "--webhooks-timeout", "1s", "--log-level", "error"}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = t.TempDir()
	s.cmd.Stdout, s.cmd.Stderr = s, os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			<-s.done
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if i > 200 {
			t.Fatalf("cellgate did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func call(t *testing.T, base, key, method, path, body string, out any) {
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		return
	}
	if out != nil {
		if err := jsonUnmarshal(raw, out); err != nil {
			t.Error(err)
		}
	}
}

func count(t *testing.T, db *store.DB, q string) int {
	var n int
	if err := db.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// pgSchema makes a schema for the test and returns a URL that uses it.
func pgSchema(t *testing.T, base string) string {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "cgcrash_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
