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

	"cellgate/internal/store"
)

// TestKilledServerChargesEveryInvoiceOnce: a real `cellgate serve` on
// SQLite whose payment simulator takes 200 ms to answer a charge it has
// booked is killed with SIGKILL at random points (and restarted) while
// users add a card and subscribe on a live project that collects
// automatically. Every first invoice ends paid by one succeeded payment,
// and the simulator booked exactly one charge per payment: a charge whose
// answer a kill lost is asked again with the same idempotency key and
// answered from the simulator's books. CELLGATE_CRASH_TRIALS sets the
// number of kills (default 20), CELLGATE_CRASH_PAYMENTS the number of
// subscriptions (default 200).
func TestKilledServerChargesEveryInvoiceOnce(t *testing.T) {
	if testing.Short() || os.Getenv("CELLGATE_TEST_SHORT_CRASH") != "" {
		t.Skip("builds and kills the real binary")
	}
	kills, subs := envInt(t, "CELLGATE_CRASH_TRIALS", 20), envInt(t, "CELLGATE_CRASH_PAYMENTS", 200)
	bin := buildBinary(t)
	srv, api, dbURL := startLiveServer(t, bin, "pay.db", "--payment-simulator-latency", "200ms")
	api.patch(t, "", `{"billing":{"currency":"USD","paymentBehavior":"automatic"}}`)
	api.patch(t, "/paymentSettings", `{"provider":"simulator"}`)
	plan := api.create(t, "plan", "/plans", `{"name":"Monthly","provider":"test","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
		"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`)

	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < subs && !t.Failed(); i = int(next.Add(1)) - 1 {
				n := strconv.Itoa(i)
				user := api.create(t, "user"+n, "/users", fmt.Sprintf(`{"email":"p%d@example.com"}`, i))
				api.create(t, "card"+n, "/paymentMethods", fmt.Sprintf(`{"user":%q,"token":"tok_sim_visa"}`, user))
				api.create(t, "sub"+n, "/subscriptions", fmt.Sprintf(`{"plan":%q,"user":%q,"sim":"auto"}`, plan, user))
			}
		}()
	}
	srv.killRandomly(kills, func() int { return 0 })
	wg.Wait()

	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	mustDo(t, err)
	defer db.Close()
	count := func(query string) int {
		var n int
		mustDo(t, db.QueryRow(ctx, query, "live").Scan(&n))
		return n
	}
	srv.waitFor("invoices paid", subs, 60*time.Second, func() int {
		return count(`SELECT COUNT(*) FROM invoices WHERE project_id = ? AND status = 'paid'`)
	})
	if n := count(`SELECT COUNT(*) FROM payments WHERE project_id = ? AND status = 'succeeded'`); n != subs {
		t.Errorf("%d succeeded payments, want %d", n, subs)
	}
	// Money moved once per payment: the simulator's booked charges, by
	// the payment their operation collects.
	type ledger struct {
		payment        string
		calls, charges int
	}
	rows, err := store.All(ctx, db, func(r store.Scanner) (ledger, error) {
		var l ledger
		return l, r.Scan(&l.payment, &l.calls, &l.charges)
	}, `SELECT o.subject, SUM(c.calls), SUM(CASE WHEN c.outcome = 'succeeded' THEN 1 ELSE 0 END)
		FROM payment_simulator_charges c JOIN operations o ON o.id = c.idempotency_key WHERE c.project_id = ? GROUP BY o.subject`, "live")
	mustDo(t, err)
	repeated := 0
	for _, l := range rows {
		if l.charges != 1 {
			t.Errorf("payment %s was charged %d times", l.payment, l.charges)
		}
		if l.calls > 1 {
			repeated++
		}
	}
	if len(rows) != subs {
		t.Errorf("the simulator charged %d payments, want %d", len(rows), subs)
	}
	t.Logf("%d payments across %d kills; %d charges were asked again after a kill and answered from the simulator's books", subs, kills, repeated)
	srv.p.terminate()
}
