package memo_test

import (
	"context"
	"testing"

	"cellgate/internal/memo"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestMemoIsBuiltInsideEachTransaction: one scope of batch work runs two
// transactions (a batch and the next one, or a deadlock victim and its
// rerun). A value committed by another request between them is seen by
// the second: the memo is built inside the transaction that reads it,
// never carried over from an earlier one.
func TestMemoIsBuiltInsideEachTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		bg := context.Background()
		if _, err := db.Exec(bg, `CREATE TABLE memo_probe (v INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		ctx := memo.Scope(bg)
		read := func() int {
			var got int
			err := db.InTx(ctx, func(tx *store.Tx) error {
				for range 2 { // loaded once per transaction, as a batch does
					v, err := memo.Get(ctx, tx, "endpoints", func() (int, error) {
						var n int
						return n, tx.QueryRow(ctx, `SELECT COUNT(*) FROM memo_probe`).Scan(&n)
					})
					if err != nil {
						return err
					}
					got = v
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if n := read(); n != 0 {
			t.Fatalf("first transaction read %d rows, want 0", n)
		}
		if _, err := db.Exec(bg, `INSERT INTO memo_probe (v) VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		if n := read(); n != 1 {
			t.Fatalf("a transaction begun after another request committed a row read %d rows from the memo, want 1", n)
		}
	})
}
