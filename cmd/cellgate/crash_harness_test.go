package main

import (
	"bytes"
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
	"syscall"
	"testing"
	"time"

	"cellgate/internal/network"
)

// The harness of the crash tests: a live project served by a real
// `cellgate serve` that the test kills with SIGKILL and restarts, clients
// that retry with their idempotency keys through the kills, and the
// carrier-sim as an HTTP adapter.

// acmePlan is the body of an eSIM plan on the "acme" adapter.
const acmePlan = `{"name":"Acme eSIM","provider":"acme","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
	"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`

// acmeAdapter starts the carrier-sim with the fast profile, 200 ms on
// every call, and writes a carriers file naming it "acme".
func acmeAdapter(t *testing.T, bin string) (*network.HTTPProvider, string) {
	_, carrier, simURL := startCarrierSim(t, bin, "--profile", "fast", "--profiles", fastProfile(t))
	mustDo(t, carrier.InjectFault(t.Context(), network.Fault{Latency: network.Duration(200 * time.Millisecond)}))
	carriers := writeFile(t, "carriers.json", fmt.Sprintf(`{"providers": [
		{"id": "acme", "name": "Acme Mobile", "homeCountry": "US", "countryCode": "1", "iccidIssuer": "42", "kind": "http", "url": %q, "secret": %q, "timeout": "5s"}]}`,
		simURL, simSecret))
	return carrier, carriers
}

// startLiveServer creates the live project "live" in a new SQLite file
// and serves it with serveArgs added; it answers the server, a retrying
// client of the project and the database's URL.
func startLiveServer(t *testing.T, bin, file string, serveArgs ...string) (*crashServer, *retryingClient, string) {
	dbPath := filepath.Join(t.TempDir(), file)
	dbURL := "sqlite:" + dbPath
	out, stderr, code := run(t, bin, childEnv(), t.TempDir(), "project", "create", "live", "--type", "live", "--database", dbURL)
	if code != 0 {
		t.Fatalf("project create: %d\n%s", code, stderr)
	}
	var project struct{ APIKey string }
	mustDo(t, json.Unmarshal([]byte(out), &project))
	addr := freeAddr(t)
	srv := &crashServer{t: t, bin: bin, args: append([]string{"serve", "--addr", addr, "--database", dbURL, "--poll-interval", "100ms"}, serveArgs...)}
	srv.start()
	return srv, &retryingClient{base: "http://" + addr + "/projects/live", key: project.APIKey}, dbURL
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

// killRandomly kills and restarts the server kills times, 100 to 500 ms
// apart, and answers what progress() read at each kill.
func (s *crashServer) killRandomly(kills int, progress func() int) []int {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var at []int
	for range kills {
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		s.kill()
		at = append(at, progress())
		s.start()
	}
	return at
}

// waitFor polls count until it reaches want, failing the test with the
// server's stderr after within.
func (s *crashServer) waitFor(what string, want int, within time.Duration, count func() int) {
	deadline := time.Now().Add(within)
	for count() < want {
		if time.Now().After(deadline) {
			s.t.Fatalf("%d of %d %s after %s\nserver stderr:\n%s", count(), want, what, within, s.p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
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

// patch repeats a PATCH until the server answers it (PATCH is idempotent
// by nature: the same body twice leaves the same state).
func (c *retryingClient) patch(t testing.TB, path, body string) {
	deadline := time.Now().Add(40 * time.Second)
	for {
		req, err := http.NewRequest(http.MethodPatch, c.base+path, strings.NewReader(body))
		mustDo(t, err)
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := crashHTTP.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			if resp.StatusCode < 500 && resp.StatusCode != http.StatusConflict {
				t.Errorf("PATCH %s: %d", path, resp.StatusCode)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("PATCH %s unanswered for 40s: %v", path, err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
