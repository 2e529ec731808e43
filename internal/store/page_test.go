package store_test

// Keyset pagination on both engines: page contents and cursors, query
// plans that stay on the index however deep the page, and a benchmark of a
// first page against a deep one on 100k rows.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// createItems makes the table the tests page through: a byte-ordered id
// and a group, indexed like the project-scoped tables of the schema.
func createItems(t testing.TB, db *store.DB) {
	t.Helper()
	coll := ""
	if db.Dialect() == store.Postgres {
		coll = ` COLLATE "C"`
	}
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE page_items (id TEXT" + coll + " PRIMARY KEY, grp TEXT NOT NULL, body TEXT NOT NULL)",
		"CREATE INDEX page_items_by_grp ON page_items (grp, id)",
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// seedItems inserts n rows with ids itm_00000001 ... in SQL, which is fast
// enough for 100k rows; row i belongs to group g(i mod 4).
func seedItems(t testing.TB, db *store.DB, n int) {
	t.Helper()
	q := `INSERT INTO page_items (id, grp, body)
		WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
		SELECT printf('itm_%08d', n), 'g' || (n % 4), 'item' FROM seq`
	if db.Dialect() == store.Postgres {
		q = `INSERT INTO page_items (id, grp, body)
			SELECT 'itm_' || lpad(n::text, 8, '0'), 'g' || (n % 4), 'item' FROM generate_series(1, ?::int) AS n`
	}
	ctx := context.Background()
	if _, err := db.Exec(ctx, q, n); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := db.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatalf("analyze: %v", err)
	}
}

func itemID(n int) string { return fmt.Sprintf("itm_%08d", n) }

func scanID(rows *sql.Rows) (string, string, error) {
	var id string
	err := rows.Scan(&id)
	return id, id, err
}

func groupQuery(grp string) *store.ListQuery {
	q := &store.ListQuery{Select: "SELECT id FROM page_items"}
	return q.Where("grp = ?", grp)
}

func list(t *testing.T, q store.Querier, lq *store.ListQuery, p store.Page) store.PageOf[string] {
	t.Helper()
	page, err := store.List(context.Background(), q, lq, p, scanID)
	if err != nil {
		t.Fatalf("List(%+v): %v", p, err)
	}
	return page
}

func deref(p *string) string {
	if p == nil {
		return "nil"
	}
	return *p
}

// TestListPages walks one group of an interleaved table both ways and
// checks every item and cursor.
func TestListPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		createItems(t, db)
		ctx := context.Background()
		var mine []string // newest first
		for i := range 50 {
			id, grp := ids.New("itm"), "other"
			if i%2 == 0 {
				grp = "mine"
				mine = slices.Insert(mine, 0, id)
			}
			if _, err := db.Exec(ctx, "INSERT INTO page_items (id, grp, body) VALUES (?, ?, 'x')", id, grp); err != nil {
				t.Fatal(err)
			}
		}
		q := groupQuery("mine")
		for _, c := range []struct {
			name          string
			p             store.Page
			want          []string
			after, before string
		}{
			{"first", store.Page{Limit: 10}, mine[:10], mine[9], "nil"},
			{"second", store.Page{Limit: 10, After: mine[9]}, mine[10:20], mine[19], mine[10]},
			{"last", store.Page{Limit: 10, After: mine[19]}, mine[20:], "nil", mine[20]},
			{"back to second", store.Page{Limit: 10, Before: mine[20]}, mine[10:20], mine[19], mine[10]},
			{"back to first", store.Page{Limit: 10, Before: mine[10]}, mine[:10], mine[9], "nil"},
			{"everything", store.Page{Limit: 25}, mine, "nil", "nil"},
			{"all but one", store.Page{Limit: 24}, mine[:24], mine[23], "nil"},
			{"before the newest", store.Page{Limit: 10, Before: mine[0]}, []string{}, "nil", "nil"},
			{"after the oldest", store.Page{Limit: 10, After: mine[24]}, []string{}, "nil", "nil"},
			{"limit 0", store.Page{Limit: 0}, []string{}, "nil", "nil"},
		} {
			got := list(t, db, q, c.p)
			if !slices.Equal(got.Items, c.want) || deref(got.MoreAfter) != c.after || deref(got.MoreBefore) != c.before {
				t.Errorf("%s: items %v after %s before %s\nwant %v after %s before %s",
					c.name, got.Items, deref(got.MoreAfter), deref(got.MoreBefore), c.want, c.after, c.before)
			}
		}
		in := (&store.ListQuery{Select: "SELECT id FROM page_items"}).WhereIn("id", []string{mine[3], mine[1], mine[7]})
		if got := list(t, db, in, store.Page{Limit: 10}); !slices.Equal(got.Items, []string{mine[1], mine[3], mine[7]}) {
			t.Errorf("WhereIn page = %v", got.Items)
		}
		// The same query runs inside a transaction too.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if got := list(t, tx, q, store.Page{Limit: 3, After: mine[0]}); !slices.Equal(got.Items, mine[1:4]) {
				t.Errorf("in a transaction: %v", got.Items)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// recorder is the real database that also remembers the queries run on
// it, so a test can ask the engine how it plans them.
type recorder struct {
	*store.DB
	queries []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (r *recorder) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r.queries = append(r.queries, recorded{q, args})
	return r.DB.Query(ctx, q, args...)
}

func (r *recorder) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	r.queries = append(r.queries, recorded{q, args})
	return r.DB.QueryRow(ctx, q, args...)
}

// TestListStaysOnTheIndex asks each engine how it runs every query of a
// first page, a deep page and a backward page over 100k rows: SQLite must
// search the (grp, id) index without sorting; PostgreSQL must read a few
// rows per item from an index, never a number that grows with the depth.
func TestListStaysOnTheIndex(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		createItems(t, db)
		seedItems(t, db, 100_000)
		ctx := context.Background()
		for _, p := range []store.Page{
			{Limit: 10},
			{Limit: 10, After: itemID(4_001)},
			{Limit: 10, Before: itemID(4_001)},
			{Limit: 200, After: itemID(50_001)},
		} {
			rec := &recorder{DB: db}
			page := list(t, rec, groupQuery("g1"), p)
			if len(page.Items) != p.Limit {
				t.Fatalf("%+v: %d items", p, len(page.Items))
			}
			if len(rec.queries) == 0 {
				t.Fatal("recorder saw no query")
			}
			for _, q := range rec.queries {
				if db.Dialect() == store.Postgres {
					// One row in four belongs to the group: an index on id
					// alone reads about four rows per item, at any depth.
					checkPostgresPlan(t, ctx, db, q, 4*(p.Limit+1)+4)
				} else {
					checkSQLitePlan(t, ctx, db, q)
				}
			}
		}
	})
}

func checkSQLitePlan(t *testing.T, ctx context.Context, db *store.DB, q recorded) {
	t.Helper()
	rows, err := db.Query(ctx, "EXPLAIN QUERY PLAN "+q.sql, q.args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q.sql, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	text := strings.Join(plan, "; ")
	if !strings.Contains(text, "SEARCH page_items USING") || !strings.Contains(text, "INDEX page_items_by_grp") ||
		strings.Contains(text, "SCAN page_items") || strings.Contains(text, "TEMP B-TREE") {
		t.Errorf("query %s\nplan: %s\nwant a search of page_items_by_grp without a scan or sort", q.sql, text)
	}
}

func checkPostgresPlan(t *testing.T, ctx context.Context, db *store.DB, q recorded, maxRows int) {
	t.Helper()
	var raw string
	if err := db.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+q.sql, q.args...).Scan(&raw); err != nil {
		t.Fatalf("explain %s: %v", q.sql, err)
	}
	var doc []struct{ Plan map[string]any }
	if err := json.Unmarshal([]byte(raw), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("explain output: %v: %s", err, raw)
	}
	var walk func(n map[string]any)
	scans := 0
	walk = func(n map[string]any) {
		typ, _ := n["Node Type"].(string)
		switch {
		case typ == "Seq Scan" || typ == "Sort" || typ == "Bitmap Heap Scan":
			t.Errorf("query %s: plan has a %s node: %s", q.sql, typ, raw)
		case strings.HasPrefix(typ, "Index"):
			scans++
			rows, _ := n["Actual Rows"].(float64)
			loops, _ := n["Actual Loops"].(float64)
			removed, _ := n["Rows Removed by Filter"].(float64)
			if int(rows*loops+removed) > maxRows {
				t.Errorf("query %s: index scan read %v rows (+%v filtered), want at most %d", q.sql, rows*loops, removed, maxRows)
			}
		}
		children, _ := n["Plans"].([]any)
		for _, c := range children {
			walk(c.(map[string]any))
		}
	}
	walk(doc[0].Plan)
	if scans == 0 {
		t.Errorf("query %s: no index scan in %s", q.sql, raw)
	}
}

// BenchmarkListPage compares the first pages of one group (25k of the 100k
// rows) with a page 10k items deep and the very last pages, forwards and
// backwards: with keyset pagination the deep pages cost what the second
// page costs (the first is cheaper: it has no newer page to probe for).
//
//	go test ./internal/store -run '^$' -bench ListPage
func BenchmarkListPage(b *testing.B) {
	ctx := context.Background()
	for _, e := range storetest.Engines(b) {
		db := e.Open(b)
		createItems(b, db)
		seedItems(b, db, 100_000)
		for _, c := range []struct {
			name string
			p    store.Page
		}{
			{"first", store.Page{Limit: 10}},
			// The second page, like every later one, also probes for a
			// newer page: compare the deep pages with it.
			{"second", store.Page{Limit: 10, After: itemID(99_961)}},
			{"deep-10k", store.Page{Limit: 10, After: itemID(60_001)}},
			{"deepest", store.Page{Limit: 10, After: itemID(41)}},
			{"deepest-before", store.Page{Limit: 10, Before: itemID(41)}},
		} {
			b.Run(e.Name+"/"+c.name, func(b *testing.B) {
				q := groupQuery("g1")
				for b.Loop() {
					page, err := store.List(ctx, db, q, c.p, scanID)
					if err != nil || len(page.Items) != 10 {
						b.Fatalf("%d items, %v", len(page.Items), err)
					}
				}
			})
		}
	}
}

// The tests below check the engine-specific parts the rest of the code
// relies on, on both engines: placeholders, constraint errors and
// transactions.

// TestPlaceholdersInQuotes: a ? inside a string literal is text, on both
// engines (PostgreSQL gets its placeholders rewritten to $n).
func TestPlaceholdersInQuotes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var got string
		err := db.QueryRow(context.Background(), `SELECT CAST(? AS TEXT) || '?' || '''?''' || CAST(? AS TEXT) AS "q?"`, "a", "b").Scan(&got)
		if err != nil || got != "a?'?'b" {
			t.Errorf("got %q, %v; want a?'?'b", got, err)
		}
	})
}

// TestConstraintErrors: IsUniqueViolation and IsForeignKeyViolation
// recognise each engine's errors, wrapped or not, in and out of a
// transaction, and nothing else.
func TestConstraintErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, q := range []string{
			"CREATE TABLE parents (id TEXT PRIMARY KEY)",
			"CREATE TABLE children (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, parent TEXT REFERENCES parents (id), state TEXT NOT NULL)",
			"CREATE UNIQUE INDEX children_live ON children (parent, state) WHERE state <> 'deleted'",
			"INSERT INTO parents (id) VALUES ('p1')",
			"INSERT INTO children (id, email, parent, state) VALUES ('c1', 'a@x', 'p1', 'live')",
		} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		insert := "INSERT INTO children (id, email, parent, state) VALUES (?, ?, ?, ?)"
		for _, c := range []struct {
			name         string
			args         []any
			unique, fkey bool
		}{
			{"duplicate primary key", []any{"c1", "b@x", "p1", "deleted"}, true, false},
			{"duplicate unique column", []any{"c2", "a@x", "p1", "deleted"}, true, false},
			{"duplicate in a partial index", []any{"c2", "b@x", "p1", "live"}, true, false},
			{"missing parent", []any{"c2", "b@x", "nope", "live"}, false, true},
			{"null in a NOT NULL column", []any{"c2", nil, "p1", "live"}, false, false},
		} {
			_, err := db.Exec(ctx, insert, c.args...)
			if err == nil {
				t.Errorf("%s: no error", c.name)
				continue
			}
			wrapped := fmt.Errorf("users: create: %w", err)
			if store.IsUniqueViolation(err) != c.unique || store.IsUniqueViolation(wrapped) != c.unique {
				t.Errorf("%s: IsUniqueViolation = %v, want %v (%v)", c.name, store.IsUniqueViolation(err), c.unique, err)
			}
			if store.IsForeignKeyViolation(err) != c.fkey || store.IsForeignKeyViolation(wrapped) != c.fkey {
				t.Errorf("%s: IsForeignKeyViolation = %v, want %v (%v)", c.name, store.IsForeignKeyViolation(err), c.fkey, err)
			}
			var inTx error
			_ = db.InTx(ctx, func(tx *store.Tx) error {
				_, inTx = tx.Exec(ctx, insert, c.args...)
				return inTx
			})
			if store.IsUniqueViolation(inTx) != c.unique || store.IsForeignKeyViolation(inTx) != c.fkey {
				t.Errorf("%s in a transaction: unique %v fkey %v (%v)", c.name, store.IsUniqueViolation(inTx), store.IsForeignKeyViolation(inTx), inTx)
			}
		}
		for _, err := range []error{nil, sql.ErrNoRows, fmt.Errorf("unique constraint failed")} {
			if store.IsUniqueViolation(err) || store.IsForeignKeyViolation(err) {
				t.Errorf("%v counted as a constraint violation", err)
			}
		}
	})
}

// TestInTx: a transaction commits only when fn succeeds, rolls back on an
// error or a panic, and runs AfterCommit hooks only after a commit.
func TestInTx(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, "CREATE TABLE notes (id TEXT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM notes").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		hooks := 0
		insert := func(id string) func(tx *store.Tx) error {
			return func(tx *store.Tx) error {
				tx.AfterCommit(func() { hooks++ })
				_, err := tx.Exec(ctx, "INSERT INTO notes (id) VALUES (?)", id)
				return err
			}
		}
		boom := fmt.Errorf("boom")
		if err := db.InTx(ctx, func(tx *store.Tx) error { _ = insert("a")(tx); return boom }); err != boom {
			t.Errorf("InTx returned %v, want the function's error", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic was swallowed")
				}
			}()
			_ = db.InTx(ctx, func(tx *store.Tx) error { _ = insert("b")(tx); panic("boom") })
		}()
		if n := count(); n != 0 || hooks != 0 {
			t.Errorf("after rollbacks: %d rows, %d hooks", n, hooks)
		}
		if err := db.InTx(ctx, insert("c")); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 1 || hooks != 1 {
			t.Errorf("after a commit: %d rows, %d hooks", n, hooks)
		}
		// The failed insert of a duplicate leaves the transaction's earlier
		// work undone as well.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := insert("d")(tx); err != nil {
				return err
			}
			return insert("c")(tx)
		})
		if !store.IsUniqueViolation(err) || count() != 1 {
			t.Errorf("duplicate in a transaction: %v, %d rows", err, count())
		}
	})
}
