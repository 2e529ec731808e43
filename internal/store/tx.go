package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Tx is a write transaction. Every state change in cellgate, together with
// the events that describe it, happens inside one Tx.
type Tx struct {
	db          *DB
	tx          *sql.Tx // PostgreSQL
	afterCommit []func()
}

// InTx runs fn in a write transaction and commits if fn returns nil; fn
// runs again when PostgreSQL aborted it to break a deadlock, so it must not
// keep state outside the transaction between runs. On
// SQLite the transaction runs on the dedicated writer connection and starts
// with BEGIN IMMEDIATE, so it never has to upgrade a read lock.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	db.open.Add(1)
	defer db.open.Add(-1)
	tx := &Tx{db: db}
	var err error
	if db.w != nil {
		err = db.w.inTx(ctx, func() error { return fn(tx) })
	} else {
		// PostgreSQL may pick this transaction as the victim of a deadlock
		// (work that locks many rows, such as a batch of timers, can meet
		// a request in another order); it rolled back whole, so it runs
		// again from the start.
		for attempt := 1; ; attempt++ {
			tx = &Tx{db: db}
			err = db.pgTx(ctx, tx, fn)
			if isDeadlock(err) {
				db.deadlocks.Add(1)
			}
			if attempt == maxAttempts || !isDeadlock(err) || ctx.Err() != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

func (db *DB) pgTx(ctx context.Context, tx *Tx, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx.tx = sqlTx
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// AfterCommit registers f to run once the transaction has committed, for
// side effects that must not happen if it rolls back (cache invalidation,
// waking a worker).
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// Dialect reports the engine.
func (tx *Tx) Dialect() Dialect { return tx.db.dialect }

// On SQLite, statements inside a transaction ignore cancellation: the
// driver would interrupt them, and SQLite rolls back the whole transaction
// on an interrupted write, which would take the other transactions of its
// commit group with it. Statements are short; the transaction ends soon.

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if w := tx.db.w; w != nil {
		ctx = context.WithoutCancel(ctx)
		s, err := w.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		return s.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, tx.db.bind(query), args...)
}

// Query reads in the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if w := tx.db.w; w != nil {
		ctx = context.WithoutCancel(ctx)
		s, err := w.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		return s.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, tx.db.bind(query), args...)
}

// QueryRow reads one row in the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if w := tx.db.w; w != nil {
		ctx = context.WithoutCancel(ctx)
		s, err := w.stmt(ctx, query)
		if err != nil {
			// Let the error surface from Scan, as database/sql does.
			return w.conn.QueryRowContext(ctx, query, args...)
		}
		return s.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, tx.db.bind(query), args...)
}

// Micros is how cellgate stores a timestamp: Unix microseconds, an integer
// both engines compare and index the same way.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// Time turns stored Unix microseconds back into a UTC time.
func Time(us int64) time.Time { return time.UnixMicro(us).UTC() }

// NullTime turns a nullable stored timestamp into a *time.Time.
func NullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := Time(v.Int64)
	return &t
}

// NullMicros stores an optional timestamp.
func NullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: Micros(*t), Valid: true}
}

// Deadlocks is how many transactions PostgreSQL has aborted to break a
// deadlock or a serialization conflict since the DB was opened, retried or
// not (always 0 on SQLite). Exported as cellgate_store_deadlocks_total.
func (db *DB) Deadlocks() int64 { return db.deadlocks.Load() }

// maxAttempts bounds how often a transaction runs when it keeps losing
// deadlocks.
const maxAttempts = 4

// isDeadlock reports whether PostgreSQL aborted the transaction to break a
// deadlock or a serialization conflict.
func isDeadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// NullString stores "" as NULL.
func NullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// StringOrNil is s, or nil when it is "": a NULL column as the API shows it.
func StringOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
