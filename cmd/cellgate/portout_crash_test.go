package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
)

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
	bin := buildBinary(t)
	ctx := context.Background()
	carrier, carriers := acmeAdapter(t, bin)
	srv, api, dbURL := startLiveServer(t, bin, "portout-crash.db", "--carriers", carriers)
	plan := api.create(t, "plan", "/plans", acmePlan)
	subs := make([]string, n)
	for i := range n {
		user := api.create(t, "user"+strconv.Itoa(i), "/users", fmt.Sprintf(`{"email":"u%d@example.com"}`, i))
		subs[i] = api.create(t, "sub"+strconv.Itoa(i), "/subscriptions", fmt.Sprintf(`{"plan":%q,"user":%q,"sim":"auto"}`, plan, user))
	}
	db, err := store.Open(ctx, dbURL)
	mustDo(t, err)
	defer db.Close()
	count := func(query string) func() int {
		return func() int {
			var c int
			mustDo(t, db.QueryRow(ctx, query).Scan(&c))
			return c
		}
	}
	srv.waitFor("subscriptions active", n, 60*time.Second, count(`SELECT COUNT(*) FROM subscriptions WHERE project_id = 'live' AND status = 'active'`))

	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n && !t.Failed(); i = int(next.Add(1)) - 1 {
				api.create(t, "portOut"+strconv.Itoa(i), "/portOuts", fmt.Sprintf(`{"subscription":%q}`, subs[i]))
			}
		}()
	}
	srv.killRandomly(kills, func() int { return int(next.Load()) })
	wg.Wait()
	srv.waitFor("port-outs issued", n, 60*time.Second, count(`SELECT COUNT(*) FROM port_outs WHERE project_id = 'live' AND status = 'issued'`))

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
