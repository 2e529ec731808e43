package store

// Unit tests of the SQL the store writes. Tests that need a database on
// both engines are in page_test.go (package store_test, with storetest).

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT ?", "SELECT $1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"IN (?,?,?)", "IN ($1,$2,$3)"},
		{"x = '?' AND y = ?", "x = '?' AND y = $1"},
		{`"col?" = ? AND "?" = ?`, `"col?" = $1 AND "?" = $2`},
		{"x = 'it''s ? here' AND y = ?", "x = 'it''s ? here' AND y = $1"},
		{`x = 'say "?"' AND y = ? AND z = "it's?"`, `x = 'say "?"' AND y = $1 AND z = "it's?"`},
		{"x = '' AND y = ?", "x = '' AND y = $1"},
		{"data = '{\"a\":\"?\"}' OR ?", "data = '{\"a\":\"?\"}' OR $1"},
		{"?,?,?,?,?,?,?,?,?,?,?,?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12"},
		{"SELECT 'ünï?cödé', ?", "SELECT 'ünï?cödé', $1"},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestBindOnlyRewritesForPostgres: SQLite takes ? itself; PostgreSQL's
// rewrite is cached per query text.
func TestBindOnlyRewritesForPostgres(t *testing.T) {
	lite := &DB{dialect: SQLite}
	if got := lite.bind("a = ?"); got != "a = ?" {
		t.Errorf("sqlite bind = %q", got)
	}
	pg := &DB{dialect: Postgres}
	for range 2 {
		if got := pg.bind("a = ? AND b = '?'"); got != "a = $1 AND b = '?'" {
			t.Errorf("postgres bind = %q", got)
		}
	}
	if _, ok := pg.rebound.Load("a = ? AND b = '?'"); !ok {
		t.Error("postgres bind did not cache the rewrite")
	}
}

// TestListQuerySQL: conditions are ANDed in order, the cursor comes last
// before the limit, and rendering never changes the query itself, so one
// ListQuery can render the page and its probe.
func TestListQuerySQL(t *testing.T) {
	q := &ListQuery{Select: "SELECT id FROM t"}
	q.Where("p = ?", "acme").Where("s <> 'gone'").WhereIn("k", []string{"a", "b"})
	sql, args := q.sql("id < ?", "cur", "DESC", 11)
	if want := "SELECT id FROM t WHERE p = ? AND s <> 'gone' AND k IN (?, ?) AND id < ? ORDER BY id DESC LIMIT ?"; sql != want {
		t.Errorf("sql = %q\nwant  %q", sql, want)
	}
	if want := []any{"acme", "a", "b", "cur", 11}; !slices.Equal(args, want) {
		t.Errorf("args = %v, want %v", args, want)
	}
	sql2, args2 := q.sql("", "", "ASC", 1)
	if want := "SELECT id FROM t WHERE p = ? AND s <> 'gone' AND k IN (?, ?) ORDER BY id ASC LIMIT ?"; sql2 != want {
		t.Errorf("second render = %q", sql2)
	}
	if !slices.Equal(args2, []any{"acme", "a", "b", 1}) || len(q.where) != 3 || len(q.args) != 3 {
		t.Errorf("rendering changed the query: args %v, where %v, q.args %v", args2, q.where, q.args)
	}
	// The rendered args are the caller's to keep: changing them must not
	// reach the query's own arguments.
	args[0] = "clobbered"
	if q.args[0] != "acme" {
		t.Errorf("rendered args alias the query's: %v", q.args)
	}
	bare := &ListQuery{Select: "SELECT id FROM t"}
	if got, _ := bare.sql("", "", "DESC", 3); got != "SELECT id FROM t ORDER BY id DESC LIMIT ?" {
		t.Errorf("bare = %q", got)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db":      "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db":                  "postgres://u@h/db",
		"postgres://u:p@ss@h/db":             "postgres://u:xxxxx@h/db",
		"sqlite:/tmp/x.db":                   "sqlite:/tmp/x.db",
		"mysql://root:hunter2@localhost/app": "mysql://root:xxxxx@localhost/app",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{"sqlite::memory:", "sqlite:", "mysql://root:hunter2@localhost/app", "cellgate.db"} {
		db, err := Open(ctx, url)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", url)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) leaks the password: %v", url, err)
		}
	}
}

func TestMicrosRoundTrip(t *testing.T) {
	at := time.Date(2025, 5, 22, 9, 31, 39, 123456000, time.FixedZone("CEST", 2*3600))
	back := Time(Micros(at))
	if !back.Equal(at) || back.Location() != time.UTC {
		t.Errorf("Time(Micros(%v)) = %v", at, back)
	}
	if NullTime(NullMicros(nil)) != nil {
		t.Error("NullTime(NullMicros(nil)) is not nil")
	}
	if got := NullTime(NullMicros(&at)); got == nil || !got.Equal(at) {
		t.Errorf("NullTime(NullMicros(&at)) = %v", got)
	}
}

// TestSQLitePragmas: the writer runs in WAL mode with foreign keys on, and
// the read pool cannot write.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var fk int
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	if err := db.read.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v", fk, err)
	}
	if _, err := db.Exec(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.read.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err == nil {
		t.Error("the read pool accepted a write")
	}
}
