package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestConcurrentTransactionsCommitAlone: many transactions at once, some
// failing and some panicking, each commit or roll back on their own, also
// when SQLite runs them in one commit group.
func TestConcurrentTransactionsCommitAlone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, "CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		errBoom := errors.New("boom")
		var wg sync.WaitGroup
		results := make([]error, 200)
		panics := make([]any, 200)
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				results[i] = db.InTx(ctx, func(tx *store.Tx) error {
					// Two writes per transaction: a failure must undo both.
					for _, suffix := range []string{"a", "b"} {
						if _, err := tx.Exec(ctx, "INSERT INTO items (id, n) VALUES (?, ?)", fmt.Sprintf("%d%s", i, suffix), i); err != nil {
							return err
						}
					}
					switch i % 10 {
					case 3:
						return errBoom
					case 7:
						panic("kaboom")
					case 5:
						// A constraint failure in the middle of the transaction.
						_, err := tx.Exec(ctx, "INSERT INTO items (id, n) VALUES (?, ?)", fmt.Sprintf("%da", i), i)
						return err
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		for i := range results {
			var n int
			if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM items WHERE n = ?", i).Scan(&n); err != nil {
				t.Fatal(err)
			}
			switch i % 10 {
			case 3:
				if !errors.Is(results[i], errBoom) || n != 0 {
					t.Fatalf("tx %d: err %v, %d rows; want boom and none", i, results[i], n)
				}
			case 7:
				if panics[i] != "kaboom" || n != 0 {
					t.Fatalf("tx %d: panic %v, %d rows; want kaboom and none", i, panics[i], n)
				}
			case 5:
				if !store.IsUniqueViolation(results[i]) || n != 0 {
					t.Fatalf("tx %d: err %v, %d rows; want a unique violation and none", i, results[i], n)
				}
			default:
				if results[i] != nil || n != 2 {
					t.Fatalf("tx %d: err %v, %d rows; want both rows", i, results[i], n)
				}
			}
		}
	})
}
