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

// attDonor is AT&T in internal/porting/service_providers.json.
const attDonor = "svp_4ZCNVMPtscJnhjSxOzmsNT"

// TestKilledServerSubmitsEachPortingOnce: `cellgate serve` on SQLite,
// with the carrier-sim adapter answering every call in 200 ms, is killed
// with SIGKILL at random points while portings are filled in and
// subscriptions take them (which sends them to the carrier). Every
// porting ends requested, and the carrier saw exactly one submission per
// porting: a repeated send carries the operation's key.
// CELLGATE_CRASH_TRIALS sets the kills (default 8) and
// CELLGATE_CRASH_PORTINGS the portings (default 60).
func TestKilledServerSubmitsEachPortingOnce(t *testing.T) {
	if testing.Short() || os.Getenv("CELLGATE_TEST_SHORT_CRASH") != "" {
		t.Skip("builds and kills the real binary")
	}
	kills, n := envInt(t, "CELLGATE_CRASH_TRIALS", 8), envInt(t, "CELLGATE_CRASH_PORTINGS", 60)
	bin := buildBinary(t)
	ctx := context.Background()
	carrier, carriers := acmeAdapter(t, bin)
	srv, api, dbURL := startLiveServer(t, bin, "porting-crash.db", "--carriers", carriers)
	plan := api.create(t, "plan", "/plans", acmePlan)

	var (
		wg       sync.WaitGroup
		next     atomic.Int64
		portings = make([]string, n)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n && !t.Failed(); i = int(next.Add(1)) - 1 {
				is := strconv.Itoa(i)
				user := api.create(t, "user"+is, "/users", fmt.Sprintf(`{"email":"u%d@example.com"}`, i))
				p := api.create(t, "porting"+is, "/portings", fmt.Sprintf(`{"phoneNumber":"+1212555%04d","provider":"acme","user":%q}`, i, user))
				api.patch(t, "/portings/"+p, fmt.Sprintf(`{"donorProvider":%q,"accountNumber":"A%d","accountPin":"1234","firstName":"F","lastName":"L"}`, attDonor, i))
				api.create(t, "sub"+is, "/subscriptions", fmt.Sprintf(`{"plan":%q,"user":%q,"sim":"auto","porting":%q}`, plan, user, p))
				portings[i] = p
			}
		}()
	}
	srv.killRandomly(kills, func() int { return 0 })
	wg.Wait()

	db, err := store.Open(ctx, dbURL)
	mustDo(t, err)
	defer db.Close()
	requested := func() int {
		var c int
		mustDo(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM portings WHERE project_id = 'live' AND status = 'requested'`).Scan(&c))
		return c
	}
	srv.waitFor("portings requested", n, 45*time.Second, requested)
	eff, err := carrier.Effects(ctx)
	mustDo(t, err)
	if len(eff[network.OpSubmitPorting]) != n {
		t.Errorf("the carrier saw submissions of %d portings, want %d", len(eff[network.OpSubmitPorting]), n)
	}
	for _, p := range portings {
		if c := eff[network.OpSubmitPorting][p]; c != 1 {
			t.Errorf("the carrier saw %d submissions of %s, want 1", c, p)
		}
	}
	srv.p.terminate()
}
