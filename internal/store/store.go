// Package store opens cellgate's database (embedded SQLite or PostgreSQL),
// applies its migrations and runs queries and transactions on it.
//
// Queries are written once, in the SQL both engines understand, with `?`
// placeholders; the store rewrites them to `$n` for PostgreSQL. The few
// places where the engines differ ask the Dialect for the right fragment.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the database engine behind a DB.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// ForUpdate is the row-locking suffix of a SELECT inside a transaction.
// SQLite has a single writer, so every write transaction already holds the
// lock it needs.
func (d Dialect) ForUpdate() string {
	if d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// DB is an open database. Reads go to a pool of connections; with SQLite all
// writes go through one connection, so writers queue in Go instead of
// spinning on SQLITE_BUSY.
type DB struct {
	dialect Dialect
	read    *sql.DB
	write   *sql.DB
	url     string
	// w is SQLite's dedicated write connection; nil on PostgreSQL.
	w *writer

	// deadlocks counts transactions PostgreSQL aborted to break a deadlock
	// (or a serialization conflict): each one cost a rollback and a rerun,
	// so a lock order that holds everywhere keeps it at zero.
	deadlocks atomic.Int64

	rebound sync.Map // query text with ? → text for this dialect
	stmts   sync.Map // stmtKey → *sql.Stmt (SQLite only)

	// open counts the transactions running now (tests check that no
	// outside system is called while one is).
	open atomic.Int64
}

// OpenTransactions returns how many write transactions are running.
func (db *DB) OpenTransactions() int64 { return db.open.Load() }

type stmtKey struct {
	pool  *sql.DB
	query string
}

// DefaultURL is used when neither --database nor CELLGATE_DATABASE_URL is set.
const DefaultURL = "sqlite:cellgate.db"

// Open connects to the database named by url: "sqlite:PATH" or a
// "postgres://" (or "postgresql://") URL. It does not migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite:"), url)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	default:
		return nil, fmt.Errorf("store: unsupported database URL %q (want sqlite:PATH or postgres://...)", redact(url))
	}
}

func openSQLite(ctx context.Context, path, dbURL string) (*DB, error) {
	if path == "" || strings.Contains(path, ":memory:") {
		return nil, errors.New("store: sqlite needs a file path (in-memory databases cannot be shared between the read and write pools)")
	}
	// busy_timeout first, so the pragmas after it wait instead of failing.
	// The path goes into a file: URI, where # and ? would start a fragment
	// or the query; escape it as a URI path.
	fileURI := (&url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath()}).String()
	base := fileURI + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	// The writer gets a large page cache: every insert walks the indexes of
	// tables that grow to millions of rows (events, invoices), and SQLite's
	// default 2 MiB cache turns those walks into file reads.
	write, err := sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	// One connection is the dedicated writer; the second serves tools that
	// need a pool of their own, such as the migration runner.
	write.SetMaxOpenConns(2)
	write.SetMaxIdleConns(2)
	write.SetConnMaxLifetime(0)
	w, err := newWriter(ctx, write)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.close()
		write.Close()
		return nil, err
	}
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	read.SetConnMaxLifetime(0)
	return &DB{dialect: SQLite, read: read, write: write, url: dbURL, w: w}, nil
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return &DB{dialect: Postgres, read: pool, write: pool, url: url}, nil
}

// redact hides a password in a URL before it reaches a log or an error.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	creds := url[scheme+3 : at]
	if i := strings.Index(creds, ":"); i >= 0 {
		return url[:scheme+3] + creds[:i] + ":xxxxx" + url[at:]
	}
	return url
}

// WALCheckpoints reports, for SQLite, how many times the WAL was truncated
// because it reached WALLimit and how many checkpoints failed; both are 0
// on PostgreSQL.
func (db *DB) WALCheckpoints() (forced, failed int64) {
	if db.w == nil {
		return 0, 0
	}
	return db.w.forcedCheckpoints.Load(), db.w.checkpointErrors.Load()
}

// Dialect reports the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes every connection.
func (db *DB) Close() error {
	// Readers go first: a reader's open statement would hold back the
	// writer's final checkpoint.
	db.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	err := db.read.Close()
	if db.w != nil {
		err = errors.Join(err, db.w.close())
	}
	if db.write != db.read {
		err = errors.Join(err, db.write.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.read.PingContext(ctx)
}

// WritePool exposes the writing pool for tools that need a *sql.DB, such as
// the migration runner and the job engine.
func (db *DB) WritePool() *sql.DB { return db.write }

func (db *DB) bind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	if q, ok := db.rebound.Load(query); ok {
		return q.(string)
	}
	q := rebind(query)
	db.rebound.Store(query, q)
	return q
}

// rebind turns ? placeholders into $1, $2, ... outside quoted text.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// stmt returns a prepared statement for query on pool. SQLite spends much of
// a point query parsing SQL, so statements are prepared once and reused;
// pgx keeps its own statement cache, so PostgreSQL does not use this.
func (db *DB) stmt(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	key := stmtKey{pool, query}
	if s, ok := db.stmts.Load(key); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(key, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// Querier runs queries written with ? placeholders. *DB (outside any
// transaction, on the read pool) and *Tx both implement it.
type Querier interface {
	Dialect() Dialect
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// Exec runs a statement outside a transaction, on the writer.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if db.w != nil {
		return db.w.exec(ctx, query, args...)
	}
	return db.write.ExecContext(ctx, db.bind(query), args...)
}

// Query reads on the read pool.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if db.dialect == SQLite {
		s, err := db.stmt(ctx, db.read, query)
		if err != nil {
			return nil, err
		}
		return s.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, db.bind(query), args...)
}

// QueryRow reads one row on the read pool.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if db.dialect == SQLite {
		s, err := db.stmt(ctx, db.read, query)
		if err != nil {
			// Let the error surface from Scan, as database/sql does.
			return db.read.QueryRowContext(ctx, query, args...)
		}
		return s.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, db.bind(query), args...)
}

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key failure.
func IsForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return false
}
