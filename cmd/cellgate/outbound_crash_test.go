package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
)

// TestKilledServerActivatesEverySubscriptionOnceAtTheCarrier is the
// acceptance test of the outbound operations: a real `cellgate serve` on
// SQLite, talking to the real carrier-sim as an HTTP adapter that takes
// 200 ms per call, is killed with SIGKILL at random points (and restarted)
// while subscriptions with sim "auto" on an eSIM plan of a live project are
// created and activated. Every subscription ends active, and the carrier
// saw exactly one eSIM registration and one activation effect per
// subscription: repeated calls carry the same idempotency key.
// CELLGATE_CRASH_TRIALS sets the number of kills (default 20) and
// CELLGATE_CRASH_SUBSCRIPTIONS the number of subscriptions (default 500).
func TestKilledServerActivatesEverySubscriptionOnceAtTheCarrier(t *testing.T) {
	if testing.Short() || os.Getenv("CELLGATE_TEST_SHORT_CRASH") != "" {
		t.Skip("builds and kills the real binary")
	}
	kills, subs := envInt(t, "CELLGATE_CRASH_TRIALS", 20), envInt(t, "CELLGATE_CRASH_SUBSCRIPTIONS", 500)
	bin := buildBinary(t)
	started := time.Now()

	// The adapter: activation within a second, 200 ms on every call.
	_, carrier, simURL := startCarrierSim(t, bin, "--profile", "fast", "--profiles", fastProfile(t))
	ctx := context.Background()
	if err := carrier.InjectFault(ctx, network.Fault{Latency: network.Duration(200 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	carriers := writeFile(t, "carriers.json", fmt.Sprintf(`{"providers": [
		{"id": "acme", "name": "Acme Mobile", "homeCountry": "US", "countryCode": "1", "iccidIssuer": "42", "kind": "http", "url": %q, "secret": %q, "timeout": "5s"}]}`,
		simURL, simSecret))
	dbPath := filepath.Join(t.TempDir(), "crash.db")
	dbURL := "sqlite:" + dbPath
	out, stderr, code := run(t, bin, childEnv(), t.TempDir(), "project", "create", "live", "--type", "live", "--database", dbURL)
	if code != 0 {
		t.Fatalf("project create: %d\n%s", code, stderr)
	}
	var project struct{ APIKey string }
	mustDo(t, json.Unmarshal([]byte(out), &project))

	addr := freeAddr(t)
	srv := &crashServer{t: t, bin: bin, args: []string{"serve", "--addr", addr, "--carriers", carriers, "--database", dbURL, "--poll-interval", "100ms"}}
	srv.start()
	api := &retryingClient{base: "http://" + addr + "/projects/live", key: project.APIKey}
	plan := api.create(t, "plan", "/plans", `{"name":"Acme eSIM","provider":"acme","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
		"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`)

	// One serve per SQLite file: a second one stops, naming the reason.
	_, stderr, code = run(t, bin, childEnv(), t.TempDir(), "serve", "--addr", "127.0.0.1:0", "--database", dbURL)
	if code == 0 || !strings.Contains(stderr, "another cellgate serve is running on "+dbPath) {
		t.Fatalf("a second serve on the same database: exit %d\n%s", code, stderr)
	}

	// Creations from 16 clients, each retried with its key until answered.
	var (
		wg      sync.WaitGroup
		next    atomic.Int64
		created = make([]string, subs)
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < subs && !t.Failed(); i = int(next.Add(1)) - 1 {
				user := api.create(t, "user"+strconv.Itoa(i), "/users", fmt.Sprintf(`{"email":"u%d@example.com","fullName":"User %d"}`, i, i))
				created[i] = api.create(t, "sub"+strconv.Itoa(i), "/subscriptions", fmt.Sprintf(`{"plan":%q,"user":%q,"sim":"auto"}`, plan, user))
			}
		}()
	}
	// Kills at random points: while creating, then while activating.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var doneAtKill []int
	for range kills {
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		srv.kill()
		doneAtKill = append(doneAtKill, int(min(next.Load(), int64(subs))))
		srv.start()
	}
	t.Logf("creations started by each kill: %v; leases released on %d restarts", doneAtKill, srv.released)
	wg.Wait()
	t.Logf("%d subscriptions created across %d kills in %s", subs, kills, time.Since(started).Round(time.Millisecond))

	db, err := store.Open(ctx, dbURL)
	mustDo(t, err)
	defer db.Close()
	count := func(query string) int {
		var n int
		mustDo(t, db.QueryRow(ctx, query, "live").Scan(&n))
		return n
	}
	deadline := time.Now().Add(45 * time.Second)
	for count(`SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status = 'active'`) < subs {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d subscriptions active after 45s\nserver stderr:\n%s", count(`SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status = 'active'`), subs, srv.p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("all %d active %s after the start", subs, time.Since(started).Round(time.Millisecond))
	if n := count(`SELECT COUNT(*) FROM subscriptions WHERE project_id = ?`); n != subs {
		t.Errorf("%d subscriptions, want %d: a retried creation made a second one", n, subs)
	}

	rows, err := store.All(ctx, db, func(r store.Scanner) (string, error) {
		var iccid string
		return iccid, r.Scan(&iccid)
	}, `SELECT m.iccid FROM subscriptions s JOIN sims m ON m.id = s.sim_id WHERE s.project_id = ?`, "live")
	mustDo(t, err)
	if len(rows) != subs {
		t.Fatalf("%d subscriptions with a SIM, want %d", len(rows), subs)
	}
	eff, err := carrier.Effects(ctx)
	mustDo(t, err)
	for _, op := range []string{network.OpProvisionESIM, network.OpActivate} {
		if len(eff[op]) != subs {
			t.Errorf("the carrier saw %s effects on %d SIMs, want %d", op, len(eff[op]), subs)
		}
		for _, iccid := range rows {
			if n := eff[op][iccid]; n != 1 {
				t.Errorf("the carrier saw %d %s effects on %s, want 1", n, op, iccid)
			}
		}
	}
	srv.p.terminate()
}

// fastProfile writes a profile file with "fast": the test profile,
// activating within a second.
func fastProfile(t testing.TB) string {
	p := network.BuiltinProfiles()["test"]
	p.ActivationDelay = network.DurationRange{Min: 0, Max: network.Duration(time.Second)}
	data, err := json.Marshal(map[string]any{"profiles": map[string]network.Profile{"fast": p}})
	mustDo(t, err)
	return writeFile(t, "profiles.json", string(data))
}

func envInt(t testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q is not a positive count", name, v)
	}
	return n
}

// freeAddr returns a loopback address free right now, so that restarts
// keep the address the clients use.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// crashServer is a serve process that the test kills and restarts.
type crashServer struct {
	t    *testing.T
	bin  string
	args []string
	p    *proc
	// released counts the restarts that released a killed run's leases.
	released int
}

func (s *crashServer) start() {
	s.p = start(s.t, s.bin, childEnv(), s.args...)
	s.p.listenURL(15 * time.Second)
}

func (s *crashServer) kill() {
	_ = s.p.cmd.Process.Signal(syscall.SIGKILL)
	<-s.p.done
	if strings.Contains(s.p.stderr.String(), "released the leases of a previous run") {
		s.released++
	}
}

// retryingClient sends each request with an Idempotency-Key and repeats it
// with the same key until the server answers: through kills, restarts and
// requests still in progress.
type retryingClient struct {
	base, key string
}

func (c *retryingClient) create(t testing.TB, key, path, body string) string {
	deadline := time.Now().Add(40 * time.Second)
	for {
		status, res, err := c.post(key, path, body)
		switch {
		case err == nil && status == http.StatusCreated:
			id, _ := res["id"].(string)
			if id == "" {
				t.Errorf("POST %s answered %v without an id", path, res)
			}
			return id
		case err == nil && status < 500 && status != http.StatusConflict && status != http.StatusTooManyRequests:
			t.Errorf("POST %s (key %s): %d %v", path, key, status, res)
			return ""
		case time.Now().After(deadline):
			t.Errorf("POST %s (key %s) unanswered for 40s: %d %v", path, key, status, err)
			return ""
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var crashHTTP = &http.Client{Timeout: 10 * time.Second}

func (c *retryingClient) post(key, path, body string) (int, map[string]any, error) {
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := crashHTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var out map[string]any
	_ = json.NewDecoder(bytes.NewReader(data)).Decode(&out)
	return resp.StatusCode, out, nil
}
