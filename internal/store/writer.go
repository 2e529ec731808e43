package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// writer is SQLite's write connection, held for the life of the DB. One
// mutex orders every write, so writers queue in Go and never meet
// SQLITE_BUSY from each other; statements are prepared once on this
// connection and reused by every transaction without database/sql's
// per-transaction statement bookkeeping.
type writer struct {
	mu    sync.Mutex
	conn  *sql.Conn
	stmts map[string]*sql.Stmt // guarded by mu
}

func newWriter(ctx context.Context, pool *sql.DB) (*writer, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &writer{conn: conn, stmts: map[string]*sql.Stmt{}}, nil
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
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.stmts {
		s.Close()
	}
	return w.conn.Close()
}
