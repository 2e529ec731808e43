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

// walUnderReaders writes for d while readers keep overlapping read
// transactions open, so that some reader always holds an old snapshot,
// and returns the largest size the WAL file reached.
func walUnderReaders(t *testing.T, d time.Duration) int64 {
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
	for end := time.Now().Add(d); time.Now().Before(end); {
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
	close(stop)
	wg.Wait()
	if forced, failed := db.WALCheckpoints(); WALLimit > 0 && forced == 0 {
		t.Errorf("the WAL was never truncated (%d failed checkpoints)", failed)
	}
	return largest
}

// TestWALStaysBoundedUnderReaders: with readers that always overlap,
// PASSIVE checkpoints alone let the WAL grow past its limit; with the
// truncating fallback it stays near it.
func TestWALStaysBoundedUnderReaders(t *testing.T) {
	old := WALLimit
	t.Cleanup(func() { WALLimit = old })
	const limit = 1024 // frames: 4 MiB
	run := 3 * time.Second
	if testing.Short() {
		run = time.Second
	}

	WALLimit = 0
	grown := walUnderReaders(t, run)
	WALLimit = limit
	bounded := walUnderReaders(t, run)
	// The WAL may pass the limit by what is written while a round runs
	// and the truncation waits for the oldest reader: this load writes
	// about 30 MiB a second.
	bound := int64(4 * limit * 4096)
	t.Logf("largest WAL: %d KiB with PASSIVE only, %d KiB with the fallback (bound %d KiB)", grown>>10, bounded>>10, bound>>10)
	if bounded > bound {
		t.Errorf("the WAL reached %d bytes with the fallback, more than %d", bounded, bound)
	}
	if grown <= bound {
		t.Errorf("PASSIVE alone kept the WAL at %d bytes: the load does not hold old snapshots, so the test shows nothing", grown)
	}
}
