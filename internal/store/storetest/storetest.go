// Package storetest gives tests a fresh, migrated database on every engine
// cellgate supports: SQLite always, and PostgreSQL when
// CELLGATE_TEST_DATABASE_URL is set. On PostgreSQL each database is a
// schema of its own, dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"cellgate/internal/store"
)

// EnvPostgres names the PostgreSQL server the suite also runs against.
const EnvPostgres = "CELLGATE_TEST_DATABASE_URL"

// Engine is one database engine under test.
type Engine struct {
	Name string
	open func(t testing.TB) *store.DB
}

// Open returns a fresh, migrated database of this engine.
func (e Engine) Open(t testing.TB) *store.DB { return e.open(t) }

// Engines lists the engines to test on. When CELLGATE_TEST_DATABASE_URL is
// set but PostgreSQL cannot be reached, the test fails instead of skipping:
// a silent skip would hide the untested engine.
func Engines(t testing.TB) []Engine {
	out := []Engine{{Name: "sqlite", open: openSQLite}}
	if pg := os.Getenv(EnvPostgres); pg != "" {
		out = append(out, Engine{Name: "postgres", open: func(t testing.TB) *store.DB { return openPostgres(t, pg) }})
	}
	return out
}

// Each runs f as a parallel subtest on every engine, with a fresh database.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f(t, e.Open(t))
		})
	}
}

func openSQLite(t testing.TB) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cellgate.db")
	return migrated(t, "sqlite:"+path)
}

func openPostgres(t testing.TB, base string) *store.DB {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: open postgres: %v", err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("storetest: %s is set but PostgreSQL is unreachable: %v", EnvPostgres, err)
	}
	schema := "cgtest_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		cleanup, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer cleanup.Close()
		_, _ = cleanup.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return migrated(t, u.String())
}

func migrated(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("storetest: random: %v", err))
	}
	return hex.EncodeToString(b)
}
