package api_test

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestLockOrderPayCancelResumeNeverDeadlocks: through HTTP, clients pay a
// subscription's invoices while others cancel and resume it and the clock
// moves through advance invoices, renewals and overdue steps. Every path
// locks the subscription before its invoices, and those before credit
// notes and balances (docs/concurrency.md), so PostgreSQL never has to
// abort a transaction to break a deadlock, and no request fails.
func TestLockOrderPayCancelResumeNeverDeadlocks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7, "invoiceOverdueDays": 3, "invoiceOverdueAction": "none"})
		r := newLockRace(w, w.blSub(nil).ID)
		r.run(2, 2, func() {
			for at := blJan10; at.Before(blAt(time.March, 20, 0)); at = at.Add(40 * time.Hour) {
				time.Sleep(10 * time.Millisecond)
				w.advanceTo(at)
				r.replaceIfEnded()
			}
		})
		r.check(t)
		if n := db.Deadlocks(); n != 0 {
			t.Fatalf("PostgreSQL aborted %d transactions to break deadlocks, want 0", n)
		}
	})
}

// lockRace is clients paying, canceling and resuming one subscription of a
// world at a time (a new one when it ends), counting answers by action and
// status.
type lockRace struct {
	w       *world
	current atomic.Pointer[string]
	mu      sync.Mutex
	answers map[string]map[int]int
	took    map[string][]time.Duration
}

func newLockRace(w *world, sub string) *lockRace {
	r := &lockRace{w: w, answers: map[string]map[int]int{}, took: map[string][]time.Duration{}}
	r.current.Store(&sub)
	return r
}

// do runs one request and notes its status and how long it took.
func (r *lockRace) do(action string, request func() *apitest.Response) *apitest.Response {
	start := time.Now()
	resp := request()
	took := time.Since(start)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.answers[action] == nil {
		r.answers[action] = map[int]int{}
	}
	r.answers[action][resp.Status]++
	r.took[action] = append(r.took[action], took)
	return resp
}

// run starts the payers and the cancelers, runs clock until it returns,
// then stops them.
func (r *lockRace) run(payers, cancelers int, clock func()) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	loop := func(seed uint64, step func(rng *rand.Rand)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 9))
			for {
				select {
				case <-stop:
					return
				default:
					step(rng)
				}
			}
		}()
	}
	for i := range payers {
		loop(uint64(i), func(*rand.Rand) { r.payOpen() })
	}
	for i := range cancelers {
		loop(uint64(100+i), func(rng *rand.Rand) {
			action := "cancel"
			if rng.IntN(2) == 0 {
				action = "resume"
			}
			r.do(action, func() *apitest.Response { return r.w.action(*r.current.Load(), action, nil) })
		})
	}
	clock()
	close(stop)
	wg.Wait()
}

// payOpen pays every finalized invoice of the current subscription.
func (r *lockRace) payOpen() {
	var page struct{ Items []invoice }
	resp := r.do("list", func() *apitest.Response {
		return r.w.Get(r.w.P("/invoices?status=finalized&subscription=" + *r.current.Load()))
	})
	if resp.Status != http.StatusOK {
		return
	}
	resp.Decode(&page)
	if len(page.Items) == 0 {
		time.Sleep(5 * time.Millisecond) // nothing to pay until the clock moves
	}
	for _, inv := range page.Items {
		r.do("pay", func() *apitest.Response {
			return r.w.Do(apitest.Request{Method: http.MethodPost, Path: r.w.P("/invoices/" + inv.ID + "/pay")})
		})
	}
}

// replaceIfEnded starts a new subscription when the current one ended
// (canceled at a renewal, or unpaid), so the race keeps a live target.
func (r *lockRace) replaceIfEnded() {
	if r.w.sub(*r.current.Load()).Status != "ended" {
		return
	}
	id := r.w.subscribe(r.w.plan(nil), r.w.user(nil), "auto", nil).ID
	r.current.Store(&id)
}

// check fails on any answer but 200 and 409 (an invoice paid or a
// subscription changed meanwhile), and when a kind of action never
// succeeded: a race that did nothing proves nothing.
func (r *lockRace) check(t testing.TB) {
	t.Helper()
	for action, byStatus := range r.answers {
		for status, n := range byStatus {
			if status != http.StatusOK && status != http.StatusConflict {
				t.Errorf("%s answered %d %d times", action, status, n)
			}
		}
	}
	for _, action := range []string{"pay", "cancel", "resume"} {
		if r.answers[action][http.StatusOK] == 0 {
			t.Errorf("no %s succeeded: %v", action, r.answers[action])
		}
	}
	t.Logf("answers: %v", r.answers)
}
