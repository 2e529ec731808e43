package outbound_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

var t0 = time.Date(2030, time.March, 1, 0, 0, 0, 0, time.UTC)

// carrier stands for an outside system that honours idempotency keys: a
// key it has seen gets the first answer again and does no new work.
type carrier struct {
	mu      sync.Mutex
	calls   map[string]int // per key, every call
	effects map[string]int // per subject, work done
	answers map[string]string
	fail    func(key string, call int) error
}

func newCarrier() *carrier {
	return &carrier{calls: map[string]int{}, effects: map[string]int{}, answers: map[string]string{}}
}

func (c *carrier) call(key, subject string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[key]++
	if c.fail != nil {
		if err := c.fail(key, c.calls[key]); err != nil {
			return "", err
		}
	}
	if a, ok := c.answers[key]; ok {
		return a, nil
	}
	c.effects[subject]++
	c.answers[key] = "done-" + subject
	return c.answers[key], nil
}

type applied struct {
	mu      sync.Mutex
	results map[string][]string
}

func (a *applied) add(subject, result string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.results[subject] = append(a.results[subject], result)
}

// kinds registers one test kind whose Perform calls c and whose Apply
// records what it applied and writes an event, so a rollback would show.
func kinds(c *carrier, a *applied) outbound.Kinds {
	return outbound.Kinds{"test.provision": {
		Perform: func(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
			var p struct{ Line string }
			if err := op.Decode(&p); err != nil {
				return nil, err
			}
			answer, err := c.call(op.IdempotencyKey(), op.Subject)
			return map[string]string{"answer": answer, "line": p.Line}, err
		},
		Apply: func(ctx context.Context, tx *store.Tx, op outbound.Operation, result json.RawMessage, now time.Time) error {
			var r struct{ Answer, Line string }
			if err := json.Unmarshal(result, &r); err != nil {
				return err
			}
			tx.AfterCommit(func() { a.add(op.Subject, r.Answer) })
			return nil
		},
	}}
}

func newProject(t *testing.T, db *store.DB, id string, typ projects.Type) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := projects.Create(context.Background(), tx, projects.CreateInput{ID: id, Type: typ}, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func enqueue(t *testing.T, db *store.DB, project, subject string, due time.Time) string {
	t.Helper()
	var id string
	err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		id, err = outbound.Enqueue(context.Background(), tx, outbound.Request{Project: project, Kind: "test.provision",
			Subject: subject, Target: "sim", Payload: map[string]string{"Line": "+1555" + subject}, DueAt: due})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newRunner(db *store.DB, c *carrier, a *applied, wall *time.Time) *outbound.Runner {
	r := outbound.NewRunner(db, kinds(c, a), slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.Wall = func() time.Time { return *wall }
	return r
}

func one(t *testing.T, db *store.DB, subject string) outbound.Operation {
	t.Helper()
	ops, err := outbound.OfSubject(context.Background(), db, subject)
	if err != nil || len(ops) != 1 {
		t.Fatalf("operations of %s: %v %v", subject, ops, err)
	}
	return ops[0]
}

// TestOperationIsPerformedOnlyAfterItsTransactionCommits: a rolled-back
// decision never reaches the outside system; a committed one reaches it
// once, with the operation's id as idempotency key, and a new transaction
// applies the outcome.
func TestOperationIsPerformedOnlyAfterItsTransactionCommits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "acme", projects.TypeTest)
		rollback := errors.New("decided against it")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: "acme", Kind: "test.provision", Subject: "sub_gone", Target: "sim", Payload: map[string]string{}, DueAt: t0}); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		id := enqueue(t, db, "acme", "sub_a", t0)
		c, a, wall := newCarrier(), &applied{results: map[string][]string{}}, time.Now()
		r := newRunner(db, c, a, &wall)
		n, err := r.RunDue(ctx, "acme", t0)
		if err != nil || n != 1 {
			t.Fatalf("ran %d: %v", n, err)
		}
		if c.calls[id] != 1 || len(c.calls) != 1 {
			t.Fatalf("calls by key: %v; want one call with key %s", c.calls, id)
		}
		if got := a.results["sub_a"]; len(got) != 1 || got[0] != "done-sub_a" {
			t.Fatalf("applied %v", got)
		}
		op := one(t, db, "sub_a")
		if op.Status != outbound.StatusSucceeded || op.Attempts != 1 || string(op.Result) == "" {
			t.Fatalf("operation %+v", op)
		}
		if n, _ := r.RunDue(ctx, "acme", t0.Add(time.Hour)); n != 0 {
			t.Fatalf("a succeeded operation ran again (%d)", n)
		}
	})
}

// TestTestProjectOperationsWaitForTheirDueTime: an operation due later on
// a test project's clock does not run before the clock gets there.
func TestTestProjectOperationsWaitForTheirDueTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "acme", projects.TypeTest)
		enqueue(t, db, "acme", "sub_late", t0.Add(time.Hour))
		enqueue(t, db, "acme", "sub_early", t0.Add(time.Minute))
		c, a, wall := newCarrier(), &applied{results: map[string][]string{}}, time.Now()
		r := newRunner(db, c, a, &wall)
		due, ok, err := r.NextDue(ctx, "acme", t0.Add(2*time.Hour))
		if err != nil || !ok || !due.Equal(t0.Add(time.Minute)) {
			t.Fatalf("next due %v %v %v", due, ok, err)
		}
		if n, err := r.RunDue(ctx, "acme", t0.Add(30*time.Minute)); n != 1 || err != nil {
			t.Fatalf("ran %d by +30m: %v", n, err)
		}
		if len(a.results["sub_early"]) != 1 || len(a.results["sub_late"]) != 0 {
			t.Fatalf("applied %v", a.results)
		}
	})
}

// TestFailedCallsRetryOnBackoffThenFailVisibly: retryable failures are
// retried on the documented schedule (on the project's clock), every
// attempt recorded; after the last one the operation is failed, with an
// operation.failed event. An operator's retry gives it new attempts under
// the same idempotency key; a drop ends it.
func TestFailedCallsRetryOnBackoffThenFailVisibly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "acme", projects.TypeTest)
		id := enqueue(t, db, "acme", "sub_a", t0)
		c, a, wall := newCarrier(), &applied{results: map[string][]string{}}, time.Now()
		c.fail = func(string, int) error { return errors.New("carrier unavailable") }
		r := newRunner(db, c, a, &wall)
		now, waits := t0, []time.Duration{}
		for range 20 {
			if _, err := r.RunDue(ctx, "acme", now); err != nil {
				t.Fatal(err)
			}
			op := one(t, db, "sub_a")
			if op.Status != outbound.StatusPending {
				break
			}
			waits = append(waits, op.DueAt.Sub(now))
			now = op.DueAt
		}
		want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute}
		if fmt.Sprint(waits) != fmt.Sprint(want) {
			t.Fatalf("waits between attempts %v, want %v", waits, want)
		}
		op := one(t, db, "sub_a")
		if op.Status != outbound.StatusFailed || op.Attempts != 8 || op.LastError != "carrier unavailable" {
			t.Fatalf("operation %+v", op)
		}
		var attempts, failedEvents int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM operation_attempts WHERE operation_id = ? AND outcome IS NOT NULL`, id).Scan(&attempts); err != nil || attempts != 8 {
			t.Fatalf("%d attempts recorded: %v", attempts, err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE subject = ? AND type = ?`, id, outbound.EventFailed).Scan(&failedEvents); err != nil || failedEvents != 1 {
			t.Fatalf("%d operation.failed events: %v", failedEvents, err)
		}

		c.fail = nil
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := outbound.Retry(ctx, tx, id); return err }); err != nil {
			t.Fatal(err)
		}
		if n, err := r.RunDue(ctx, "acme", now); n != 1 || err != nil {
			t.Fatalf("after retry ran %d: %v", n, err)
		}
		if op := one(t, db, "sub_a"); op.Status != outbound.StatusSucceeded || c.calls[id] != 9 || c.effects["sub_a"] != 1 {
			t.Fatalf("after retry %+v, calls %v effects %v", op, c.calls, c.effects)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := outbound.Retry(ctx, tx, id); return err }); err == nil {
			t.Fatal("retried a succeeded operation")
		}
	})
}

// TestPermanentErrorsFailWithoutRetrying: an error the outside system marks
// as permanent ends the operation at once, and Drop cancels it for good.
func TestPermanentErrorsFailWithoutRetrying(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "acme", projects.TypeTest)
		id := enqueue(t, db, "acme", "sub_a", t0)
		c, a, wall := newCarrier(), &applied{results: map[string][]string{}}, time.Now()
		c.fail = func(string, int) error { return outbound.PermanentError(errors.New("invalid ICCID")) }
		r := newRunner(db, c, a, &wall)
		if _, err := r.RunDue(ctx, "acme", t0); err != nil {
			t.Fatal(err)
		}
		if op := one(t, db, "sub_a"); op.Status != outbound.StatusFailed || op.Attempts != 1 {
			t.Fatalf("operation %+v", op)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := outbound.Drop(ctx, tx, id); return err }); err != nil {
			t.Fatal(err)
		}
		if op := one(t, db, "sub_a"); op.Status != outbound.StatusCanceled {
			t.Fatalf("dropped operation %+v", op)
		}
		if n, _ := r.RunDue(ctx, "acme", t0.Add(24*time.Hour)); n != 0 || c.calls[id] != 1 {
			t.Fatalf("a dropped operation ran: %d, calls %v", n, c.calls)
		}
	})
}

// TestCrashBetweenCallAndOutcomeRepeatsTheCallWithTheSameKey: a runner
// that made the call and died before recording it leaves a lease; once the
// lease runs out another runner calls again with the same key, the
// outside system does the work once, and the outcome is applied once.
func TestCrashBetweenCallAndOutcomeRepeatsTheCallWithTheSameKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "live", projects.TypeLive)
		c, a, wall := newCarrier(), &applied{results: map[string][]string{}}, time.Now().UTC()
		id := enqueue(t, db, "live", "sub_a", wall.Add(-time.Second))
		crashed, cancel := context.WithCancel(ctx)
		dying := newRunner(db, c, a, &wall)
		dying.Kinds = outbound.Kinds{"test.provision": {
			Perform: func(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
				_, err := c.call(op.IdempotencyKey(), op.Subject)
				cancel() // the process dies right after the carrier answered
				return nil, err
			},
		}}
		if _, err := dying.RunLive(crashed); err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		survivor := newRunner(db, c, a, &wall)
		if n, _ := survivor.RunLive(ctx); n != 0 {
			t.Fatal("an operation under a live lease was claimed again")
		}
		wall = wall.Add(outbound.DefaultPolicy.Lease + time.Second)
		if n, err := survivor.RunLive(ctx); n != 1 || err != nil {
			t.Fatalf("after the lease ran out: ran %d: %v", n, err)
		}
		if c.calls[id] != 2 || c.effects["sub_a"] != 1 || len(a.results["sub_a"]) != 1 {
			t.Fatalf("calls %v effects %v applied %v", c.calls, c.effects, a.results)
		}
		if op := one(t, db, "sub_a"); op.Status != outbound.StatusSucceeded || op.Attempts != 2 {
			t.Fatalf("operation %+v", op)
		}
	})
}

// TestReplicasPerformEachOperationOnce: four runners over two separately
// opened databases drain 300 live operations; each is called once.
func TestReplicasPerformEachOperationOnce(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := e.Open(t)
			if e.Name == "sqlite" {
				other, err := store.Open(ctx, db.URL())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { other.Close() })
				runReplicas(t, db, other)
				return
			}
			runReplicas(t, db, db)
		})
	}
}

func runReplicas(t *testing.T, a, b *store.DB) {
	ctx := context.Background()
	newProject(t, a, "live", projects.TypeLive)
	wall := time.Now().UTC()
	const n = 300
	err := a.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			if _, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: "live", Kind: "test.provision",
				Subject: fmt.Sprintf("sub_%03d", i), Target: "sim", Payload: map[string]string{}, DueAt: wall.Add(-time.Minute)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, ap := newCarrier(), &applied{results: map[string][]string{}}
	var wg sync.WaitGroup
	for i := range 4 {
		db := a
		if i%2 == 1 {
			db = b
		}
		r := newRunner(db, c, ap, &wall)
		r.Policy.Concurrency = 8
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ran, err := r.RunLive(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if ran == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(c.calls) != n {
		t.Fatalf("%d operations called, want %d", len(c.calls), n)
	}
	for key, calls := range c.calls {
		if calls != 1 {
			t.Fatalf("%s called %d times", key, calls)
		}
	}
}

// TestCallsAboutOneSubjectRunInTheOrderDecided: a later call about the
// same line waits while an earlier one is being retried, even when its
// own due time comes first.
func TestCallsAboutOneSubjectRunInTheOrderDecided(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "acme", projects.TypeTest)
		first := enqueue(t, db, "acme", "sub_a", t0)
		second := enqueue(t, db, "acme", "sub_a", t0)
		c, a, wall := newCarrier(), &applied{results: map[string][]string{}}, time.Now()
		var order []string
		c.fail = func(key string, call int) error {
			order = append(order, key)
			if key == first && call == 1 {
				return errors.New("timeout")
			}
			return nil
		}
		r := newRunner(db, c, a, &wall)
		if n, err := r.RunDue(ctx, "acme", t0); n != 1 || err != nil {
			t.Fatalf("ran %d at t0: %v", n, err)
		}
		if due, ok, _ := r.NextDue(ctx, "acme", t0.Add(time.Hour)); !ok || !due.Equal(t0.Add(30*time.Second)) {
			t.Fatalf("next due %v %v: the retry of the first call comes next", due, ok)
		}
		if n, err := r.RunDue(ctx, "acme", t0.Add(30*time.Second)); n != 2 || err != nil {
			t.Fatalf("ran %d at +30s: %v", n, err)
		}
		if want := []string{first, first, second}; fmt.Sprint(order) != fmt.Sprint(want) {
			t.Fatalf("calls in order %v, want %v", order, want)
		}
	})
}
