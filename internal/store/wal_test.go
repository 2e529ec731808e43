package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// walUnderReaders writes for d (or until the WAL passes stopAbove bytes,
// when that is above 0) while readers keep overlapping read transactions
// open, so that some reader always holds an old snapshot, and returns the
// largest size the WAL file reached and how long it wrote.
func walUnderReaders(t *testing.T, d time.Duration, stopAbove int64) (int64, time.Duration) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	db, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 7 * time.Millisecond) // staggered: one is always open
			for {
				select {
				case <-stop:
					return
				default:
				}
				tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
				if err != nil {
					t.Error(err)
					return
				}
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rows`).Scan(&n); err != nil {
					t.Error(err)
				}
				time.Sleep(40 * time.Millisecond)
				tx.Rollback()
			}
		}()
	}
	var largest int64
	body := strings.Repeat("x", 2000)
	start := time.Now()
	for end := start.Add(d); time.Now().Before(end) && (stopAbove == 0 || largest <= stopAbove); {
		if err := db.InTx(ctx, func(tx *Tx) error {
			for range 20 {
				if _, err := tx.Exec(ctx, `INSERT INTO rows (body) VALUES (?)`, body); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	wrote := time.Since(start)
	close(stop)
	wg.Wait()
	if forced, failed := db.WALCheckpoints(); WALLimit > 0 && forced == 0 {
		t.Errorf("the WAL was never truncated (%d failed checkpoints)", failed)
	}
	return largest, wrote
}

// TestWALStaysBoundedUnderReaders: with readers that always overlap,
// PASSIVE checkpoints alone let the WAL grow past its limit; with the
// truncating fallback it stays near it.
func TestWALStaysBoundedUnderReaders(t *testing.T) {
	old := WALLimit
	t.Cleanup(func() { WALLimit = old })
	const limit = 1024 // frames: 4 MiB
	// The WAL may pass the limit by what is written while a round runs
	// and the truncation waits for the oldest reader: this load writes
	// about 30 MiB a second on a quiet machine.
	bound := int64(4 * limit * 4096)

	// PASSIVE only writes until the WAL is well past the bound (a busy
	// machine writes slower, so it may take longer than 3 s); the
	// fallback then gets at least as long a run of the same load.
	WALLimit = 0
	grown, took := walUnderReaders(t, 60*time.Second, 2*bound)
	WALLimit = limit
	bounded, _ := walUnderReaders(t, max(took, 3*time.Second), 0)
	t.Logf("largest WAL: %d KiB with PASSIVE only (%s), %d KiB with the fallback (bound %d KiB)", grown>>10, took.Round(time.Millisecond), bounded>>10, bound>>10)
	if bounded > bound {
		t.Errorf("the WAL reached %d bytes with the fallback, more than %d", bounded, bound)
	}
	if grown <= bound {
		t.Errorf("PASSIVE alone kept the WAL at %d bytes: the load does not hold old snapshots, so the test shows nothing", grown)
	}
}
