package console_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/ids"
	"cellgate/internal/operators"
	"cellgate/internal/platform"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// benchSize is the number of subscriptions of the list-page benchmark:
// CELLGATE_CONSOLE_BENCH_SUBSCRIPTIONS, default 20,000 (the target
// is 1,000,000). The first 2,000 are made by platformtest.Seed through the
// domain; the rest are copies of their rows with new ids, ended or active
// in turn, so the tables have the target size without hours of seeding.
func benchSize(b *testing.B) int {
	n := 20000
	if v := os.Getenv("CELLGATE_CONSOLE_BENCH_SUBSCRIPTIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("CELLGATE_CONSOLE_BENCH_SUBSCRIPTIONS=%q", v)
		}
	}
	return n
}

// copySubscriptions adds copies of the project's subscription rows until
// it has n, in batches of one transaction each.
func copySubscriptions(b *testing.B, db *store.DB, project string, n int) {
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT name FROM pragma_table_info('subscriptions') ORDER BY cid`)
	if err != nil {
		b.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			b.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	src, err := store.All(ctx, db, store.ScanString, `SELECT id FROM subscriptions WHERE project_id = ? ORDER BY id`, project)
	if err != nil {
		b.Fatal(err)
	}
	sel := slices.Clone(cols)
	for i, c := range sel {
		switch c {
		case "id":
			sel[i] = "?"
		case "status":
			sel[i] = "?"
		}
	}
	insert := `INSERT INTO subscriptions (` + strings.Join(cols, ", ") + `) SELECT ` + strings.Join(sel, ", ") + ` FROM subscriptions WHERE id = ?`
	have := len(src)
	for have < n {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for j := 0; j < 5000 && have < n; j++ {
				status := "active"
				if have%2 == 1 {
					status = "ended"
				}
				args := []any{}
				for _, c := range cols {
					switch c {
					case "id":
						args = append(args, ids.New(ids.Subscription))
					case "status":
						args = append(args, status)
					}
				}
				if _, err := tx.Exec(ctx, insert, append(args, src[have%len(src)])...); err != nil {
					return err
				}
				have++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsoleListPages measures every list page of the console (and
// a subscription's and a user's page) with an owner's session, 8 clients
// at once, on SQLite: p50 and p99 per page. The issue asks p99 ≤ 50 ms at
// 1,000,000 subscriptions.
func BenchmarkConsoleListPages(b *testing.B) {
	db := storetest.Engines(b)[0].Open(b)
	ctx := context.Background()
	n := benchSize(b)
	quiet := slog.New(slog.DiscardHandler)
	plat := platform.New(db, quiet, nil)
	start := time.Date(2030, time.January, 7, 9, 0, 0, 0, time.UTC)
	if _, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: "big", N: min(n, 2000), Start: start, Billed: true}); err != nil {
		b.Fatal(err)
	}
	copySubscriptions(b, db, "big", n)
	srv := api.New(api.Config{DB: db, Logger: quiet, Platform: plat})
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	w := &world{Env: &apitest.Env{T: b, DB: db, Server: ts}, ids: map[string]string{}}
	br := w.anonymous()
	email := "bench@operators.example"
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		op, err := operators.Create(ctx, tx, email, password, time.Now())
		if err != nil {
			return err
		}
		return operators.Grant(ctx, tx, op.ID, "big", operators.Owner, time.Now())
	}); err != nil {
		b.Fatal(err)
	}
	br.loginAs(email, password, http.StatusSeeOther)
	mid := w.countString(`SELECT id FROM subscriptions WHERE project_id = 'big' ORDER BY id LIMIT 1 OFFSET ?`, n/2)
	sub := w.countString(`SELECT id FROM subscriptions WHERE project_id = 'big' AND user_id IS NOT NULL ORDER BY id LIMIT 1`)
	user := w.countString(`SELECT user_id FROM subscriptions WHERE id = ?`, sub)
	pages := []struct{ name, path string }{
		{"overview", "/"},
		{"users", "/users"},
		{"users-search-name", "/users?q=nobody"},
		{"subscriptions", "/subscriptions"},
		{"subscriptions-deep", "/subscriptions?after=" + mid},
		{"subscriptions-active", "/subscriptions?status=active"},
		{"subscriptions-restricted", "/subscriptions?status=restricted"},
		{"subscriptions-provider", "/subscriptions?provider=test"},
		{"portings", "/portings"},
		{"payments", "/payments"},
		{"vouchers", "/vouchers"},
		{"catalog", "/catalog"},
		{"invoices", "/invoices"},
		{"invoices-paid", "/invoices?status=paid"},
		{"events", "/events"},
		{"events-type", "/events?type=subscription.activated"},
		{"developers", "/developers"},
		{"subscription", "/subscriptions/" + sub},
		{"user", "/users/" + user},
	}
	b.ResetTimer()
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			url := "/console/p/big" + p.path
			br.get(url).expect(http.StatusOK)
			per := max(b.N/8, 25)
			lat := make([]time.Duration, 0, per*8)
			var mu sync.Mutex
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					mine := make([]time.Duration, 0, per)
					for range per {
						t0 := time.Now()
						if pg := br.get(url); pg.status != http.StatusOK {
							b.Errorf("%s: %d", url, pg.status)
							return
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				})
			}
			wg.Wait()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

func (w *world) countString(query string, args ...any) string {
	var s string
	if err := w.DB.QueryRow(context.Background(), query, args...).Scan(&s); err != nil {
		w.T.Fatal(err)
	}
	return s
}
