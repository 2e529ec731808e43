package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// writer is SQLite's write connection, held for the life of the DB. One
// mutex orders every write, so writers queue in Go and never meet
// SQLITE_BUSY from each other; statements are prepared once on this
// connection and reused by every transaction without database/sql's
// per-transaction statement bookkeeping.
type writer struct {
	mu      sync.Mutex
	conn    *sql.Conn
	stmts   map[string]*sql.Stmt // guarded by mu
	commits int                  // guarded by mu

	// checkpoint asks the checkpointer to fold the WAL back into the
	// database file (see checkpointer).
	checkpoint chan struct{}
	stop       context.CancelFunc
	stopped    chan struct{}
}

// checkpointEvery is how many commits pass between checkpoint requests:
// about a thousand WAL pages at cellgate's typical write.
const checkpointEvery = 100

func newWriter(ctx context.Context, pool *sql.DB) (*writer, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// SQLite's automatic checkpoint runs inside the commit that crosses
	// the threshold, fsyncs included, on the one connection every write
	// waits for. cellgate checkpoints from another connection instead.
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		conn.Close()
		return nil, err
	}
	w := &writer{conn: conn, stmts: map[string]*sql.Stmt{}, checkpoint: make(chan struct{}, 1), stopped: make(chan struct{})}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.stop = cancel
	go w.checkpointer(cctx, pool)
	return w, nil
}

// checkpointer runs PASSIVE checkpoints on the pool's spare connection when
// the writer asks, and once a second in any case. A PASSIVE checkpoint does
// not take the write lock, so writers go on while it copies pages.
func (w *writer) checkpointer(ctx context.Context, pool *sql.DB) {
	defer close(w.stopped)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.checkpoint:
		case <-tick.C:
		}
		_, _ = pool.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// stmt returns the prepared statement for query; w.mu must be held.
func (w *writer) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := w.stmts[query]; ok {
		return s, nil
	}
	s, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = s
	return s, nil
}

// inTx runs fn between BEGIN IMMEDIATE and COMMIT on the writer. The
// commit and any rollback run even if ctx is canceled meanwhile, so the
// connection is never left inside a transaction.
func (w *writer) inTx(ctx context.Context, fn func() error) (err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	finish := context.WithoutCancel(ctx)
	defer func() {
		if p := recover(); p != nil {
			_, _ = w.conn.ExecContext(finish, "ROLLBACK")
			panic(p)
		}
		if err != nil {
			_, _ = w.conn.ExecContext(finish, "ROLLBACK")
		}
	}()
	if err = fn(); err != nil {
		return err
	}
	if _, err = w.conn.ExecContext(finish, "COMMIT"); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if w.commits++; w.commits%checkpointEvery == 0 {
		select {
		case w.checkpoint <- struct{}{}:
		default: // one is already pending
		}
	}
	return nil
}

// exec runs one statement on its own (autocommit).
func (w *writer) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (w *writer) close() error {
	w.stop()
	<-w.stopped
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.stmts {
		s.Close()
	}
	// No final checkpoint here: SQLite folds the WAL in when the last
	// connection to the database closes.
	return w.conn.Close()
}
