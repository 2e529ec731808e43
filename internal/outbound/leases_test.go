package outbound_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestReleasedLeasesAreClaimedAtOnceAfterACrash: the only runner of a
// database died between the call and its outcome; once its successor has
// released the leases it claims the operation at once, without waiting
// for the lease to run out, repeats the call with the same key, and the
// outside system does the work once. Finished operations keep their state.
func TestReleasedLeasesAreClaimedAtOnceAfterACrash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "live", projects.TypeLive)
		c, a, wall := newCarrier(), &applied{results: map[string][]string{}}, time.Now().UTC()
		done := enqueue(t, db, "live", "sub_done", wall.Add(-time.Second))
		if n, err := newRunner(db, c, a, &wall).RunLive(ctx); n != 1 || err != nil {
			t.Fatalf("first operation: ran %d: %v", n, err)
		}
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
			t.Fatal("an operation under a live lease was claimed before its release")
		}
		freed, err := outbound.ReleaseLeases(ctx, db)
		if err != nil || freed != 1 {
			t.Fatalf("released %d leases: %v; want 1", freed, err)
		}
		if n, err := survivor.RunLive(ctx); n != 1 || err != nil {
			t.Fatalf("after the release, with the lease not run out: ran %d: %v", n, err)
		}
		if c.calls[id] != 2 || c.effects["sub_a"] != 1 || len(a.results["sub_a"]) != 1 {
			t.Fatalf("calls %v effects %v applied %v", c.calls, c.effects, a.results)
		}
		if op := one(t, db, "sub_a"); op.Status != outbound.StatusSucceeded || op.Attempts != 2 {
			t.Fatalf("operation %+v", op)
		}
		if op := one(t, db, "sub_done"); op.Status != outbound.StatusSucceeded || op.Attempts != 1 || op.ID != done {
			t.Fatalf("a finished operation changed: %+v", op)
		}
		if freed, err := outbound.ReleaseLeases(ctx, db); err != nil || freed != 0 {
			t.Fatalf("with nothing leased, released %d: %v", freed, err)
		}
	})
}
