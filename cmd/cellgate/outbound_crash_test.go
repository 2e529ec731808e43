package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	ctx := context.Background()
	carrier, carriers := acmeAdapter(t, bin)
	srv, api, dbURL := startLiveServer(t, bin, "crash.db", "--carriers", carriers)
	dbPath := strings.TrimPrefix(dbURL, "sqlite:")
	plan := api.create(t, "plan", "/plans", acmePlan)

	// One serve per SQLite file: a second one stops, naming the reason.
	_, stderr, code := run(t, bin, childEnv(), t.TempDir(), "serve", "--addr", "127.0.0.1:0", "--database", dbURL)
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
	doneAtKill := srv.killRandomly(kills, func() int { return int(min(next.Load(), int64(subs))) })
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
	srv.waitFor("subscriptions active", subs, 45*time.Second, func() int {
		return count(`SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status = 'active'`)
	})
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
