package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
)

// liveCrash is a live project on a new SQLite database served by
// `cellgate serve` with one provider, "acme", reached through the
// carrier-sim adapter (every call answered in 200 ms), and an eSIM plan
// of it: the setting of the crash tests that kill serve.
type liveCrash struct {
	srv     *crashServer
	api     *retryingClient
	dbURL   string
	carrier *network.HTTPProvider
	plan    string
}

func startLiveCrash(t *testing.T, name string) *liveCrash {
	bin := buildBinary(t)
	_, carrier, simURL := startCarrierSim(t, bin, "--profile", "fast", "--profiles", fastProfile(t))
	mustDo(t, carrier.InjectFault(context.Background(), network.Fault{Latency: network.Duration(200 * time.Millisecond)}))
	carriers := writeFile(t, "carriers.json", fmt.Sprintf(`{"providers": [
		{"id": "acme", "name": "Acme Mobile", "homeCountry": "US", "countryCode": "1", "iccidIssuer": "42", "kind": "http", "url": %q, "secret": %q, "timeout": "5s"}]}`,
		simURL, simSecret))
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), name+".db")
	out, stderr, code := run(t, bin, childEnv(), t.TempDir(), "project", "create", "live", "--type", "live", "--database", dbURL)
	if code != 0 {
		t.Fatalf("project create: %d\n%s", code, stderr)
	}
	var project struct{ APIKey string }
	mustDo(t, json.Unmarshal([]byte(out), &project))
	addr := freeAddr(t)
	lc := &liveCrash{dbURL: dbURL, carrier: carrier,
		srv: &crashServer{t: t, bin: bin, args: []string{"serve", "--addr", addr, "--carriers", carriers, "--database", dbURL, "--poll-interval", "100ms"}},
		api: &retryingClient{base: "http://" + addr + "/projects/live", key: project.APIKey}}
	lc.srv.start()
	lc.plan = lc.api.create(t, "plan", "/plans", `{"name":"Acme eSIM","provider":"acme","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
		"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`)
	return lc
}

// inParallel runs each(i) for i in [0, n) on 8 goroutines while serve is
// killed with SIGKILL kills times at random points and restarted.
func (lc *liveCrash) inParallel(t *testing.T, n, kills int, each func(i int)) {
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n && !t.Failed(); i = int(next.Add(1)) - 1 {
				each(i)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for range kills {
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		lc.srv.kill()
		lc.srv.start()
	}
	wg.Wait()
}

// TestKilledServerIssuesEachPortOutOnce: `cellgate serve` on SQLite, with
// the carrier-sim adapter answering every call in 200 ms, is killed with
// SIGKILL at random points while port-outs of active subscriptions are
// created (each asks the carrier for credentials). Every port-out ends
// issued, and the carrier issued credentials once per line: a repeated
// call carries the operation's key. CELLGATE_CRASH_TRIALS sets the kills
// (default 8) and CELLGATE_CRASH_PORTOUTS the port-outs (default 40).
func TestKilledServerIssuesEachPortOutOnce(t *testing.T) {
	if testing.Short() || os.Getenv("CELLGATE_TEST_SHORT_CRASH") != "" {
		t.Skip("builds and kills the real binary")
	}
	kills, n := envInt(t, "CELLGATE_CRASH_TRIALS", 8), envInt(t, "CELLGATE_CRASH_PORTOUTS", 40)
	lc, ctx := startLiveCrash(t, "portout-crash"), context.Background()
	srv, api, dbURL, carrier, plan := lc.srv, lc.api, lc.dbURL, lc.carrier, lc.plan
	subs := make([]string, n)
	for i := range n {
		user := api.create(t, "user"+strconv.Itoa(i), "/users", fmt.Sprintf(`{"email":"u%d@example.com"}`, i))
		subs[i] = api.create(t, "sub"+strconv.Itoa(i), "/subscriptions", fmt.Sprintf(`{"plan":%q,"user":%q,"sim":"auto"}`, plan, user))
	}
	db, err := store.Open(ctx, dbURL)
	mustDo(t, err)
	defer db.Close()
	waitCount := func(what, query string) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			var c int
			mustDo(t, db.QueryRow(ctx, query).Scan(&c))
			if c == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d %s after 60s\nserver stderr:\n%s", c, n, what, srv.p.stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitCount("subscriptions active", `SELECT COUNT(*) FROM subscriptions WHERE project_id = 'live' AND status = 'active'`)

	lc.inParallel(t, n, kills, func(i int) {
		api.create(t, "portOut"+strconv.Itoa(i), "/portOuts", fmt.Sprintf(`{"subscription":%q}`, subs[i]))
	})
	waitCount("port-outs issued", `SELECT COUNT(*) FROM port_outs WHERE project_id = 'live' AND status = 'issued'`)

	iccids, err := store.All(ctx, db, func(r store.Scanner) (string, error) {
		var iccid string
		return iccid, r.Scan(&iccid)
	}, `SELECT m.iccid FROM port_outs p JOIN subscriptions s ON s.id = p.subscription_id JOIN sims m ON m.id = s.sim_id WHERE p.project_id = ?`, "live")
	mustDo(t, err)
	if len(iccids) != n {
		t.Fatalf("%d port-outs, want %d: a retried creation made a second one", len(iccids), n)
	}
	eff, err := carrier.Effects(ctx)
	mustDo(t, err)
	if len(eff[network.OpPortOutCredentials]) != n {
		t.Errorf("the carrier issued credentials for %d lines, want %d", len(eff[network.OpPortOutCredentials]), n)
	}
	for _, iccid := range iccids {
		if c := eff[network.OpPortOutCredentials][iccid]; c != 1 {
			t.Errorf("the carrier issued credentials %d times for %s, want 1", c, iccid)
		}
	}
	srv.p.terminate()
}
