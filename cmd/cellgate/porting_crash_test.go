package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
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
	lc, ctx := startLiveCrash(t, "porting-crash"), context.Background()
	srv, api, dbURL, carrier, plan := lc.srv, lc.api, lc.dbURL, lc.carrier, lc.plan
	portings := make([]string, n)
	lc.inParallel(t, n, kills, func(i int) {
		is := strconv.Itoa(i)
		user := api.create(t, "user"+is, "/users", fmt.Sprintf(`{"email":"u%d@example.com"}`, i))
		p := api.create(t, "porting"+is, "/portings", fmt.Sprintf(`{"phoneNumber":"+1212555%04d","provider":"acme","user":%q}`, i, user))
		api.patch(t, "/portings/"+p, fmt.Sprintf(`{"donorProvider":%q,"accountNumber":"A%d","accountPin":"1234","firstName":"F","lastName":"L"}`, attDonor, i))
		api.create(t, "sub"+is, "/subscriptions", fmt.Sprintf(`{"plan":%q,"user":%q,"sim":"auto","porting":%q}`, plan, user, p))
		portings[i] = p
	})

	db, err := store.Open(ctx, dbURL)
	mustDo(t, err)
	defer db.Close()
	requested := func() int {
		var c int
		mustDo(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM portings WHERE project_id = 'live' AND status = 'requested'`).Scan(&c))
		return c
	}
	deadline := time.Now().Add(45 * time.Second)
	for requested() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d portings requested after 45s\nserver stderr:\n%s", requested(), n, srv.p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
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
