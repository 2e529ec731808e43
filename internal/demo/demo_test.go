package demo_test

import (
	"context"
	"sync"
	"testing"

	"cellgate/internal/demo"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestEnsureFromSeveralReplicasAtOnce: replicas started together with
// --demo all succeed, with one project and one catalog between them.
func TestEnsureFromSeveralReplicasAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = demo.Ensure(context.Background(), db, "")
			}(i)
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("replica %d: %v", i, err)
			}
		}
		var plans int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM plans WHERE project_id = 'demo'`).Scan(&plans); err != nil {
			t.Fatal(err)
		}
		if plans != 3 {
			t.Fatalf("%d demo plans, want 3", plans)
		}
		var topUps int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM addons WHERE project_id = 'demo' AND type = 'topUp'`).Scan(&topUps); err != nil {
			t.Fatal(err)
		}
		if topUps < 2 {
			t.Fatalf("%d demo top-ups, want at least 2", topUps)
		}
	})
}
