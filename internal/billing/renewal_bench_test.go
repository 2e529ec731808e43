package billing_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"cellgate/internal/platform"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestRenewalsWithInvoices measures the renewal of many billed monthly
// subscriptions at one instant, each with its renewal invoice
// (docs/billing.md §12). It runs only when CELLGATE_BENCH_RENEWALS is set
// (to the number of subscriptions, 100000 for BENCHMARKS.md). With manual
// payment every renewal invoice stays finalized with its delinquency
// timers, the heavy case; with automatic payment it is paid at once.
func TestRenewalsWithInvoices(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CELLGATE_BENCH_RENEWALS"))
	if n == 0 {
		t.Skip("set CELLGATE_BENCH_RENEWALS=100000 to run")
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(engine.Name, func(t *testing.T) {
			for _, behavior := range []string{projects.PaymentManual, projects.PaymentAutomatic} {
				t.Run(behavior, func(t *testing.T) {
					benchRenewals(t, engine, n, behavior)
				})
			}
		})
	}
}

const benchProject = "bench"

func benchRenewals(t *testing.T, engine storetest.Engine, n int, behavior string) {
	db := engine.Open(t)
	ctx := context.Background()
	plat := platform.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	start := time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)

	seeded := time.Now()
	renewal, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: benchProject, N: n, Start: start,
		Billed: true, PaymentBehavior: behavior})
	must(t, err)
	t.Logf("%s/%s: seeded %d active billed subscriptions in %s", engine.Name, behavior, n, time.Since(seeded).Round(time.Millisecond))

	began := time.Now()
	ran, err := plat.Timeline.Advance(ctx, benchProject, renewal.Add(time.Minute))
	must(t, err)
	took := time.Since(began)
	t.Logf("%s/%s: %d renewals with invoices in %s: %.0f renewals/s (%d timers run)",
		engine.Name, behavior, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), ran)

	status := "finalized"
	if behavior == projects.PaymentAutomatic {
		status = "paid"
	}
	checks := []struct {
		what  string
		query string
	}{
		{"renewal invoices " + status, `SELECT COUNT(*) FROM invoices WHERE project_id = ? AND reason = 'subscriptionRenewal'
			AND period_number = 2 AND status = '` + status + `'`},
		{"subscription.renewed events", `SELECT COUNT(DISTINCT subject) FROM events WHERE project_id = ? AND type = 'com.gigs.subscription.renewed'`},
		{"invoice.created events", renewalInvoiceEvents("created")},
		{"invoice.finalized events", renewalInvoiceEvents("finalized")},
		{"subscriptions in period 2", `SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status = 'active' AND period_number = 2`},
	}
	for _, c := range checks {
		if got := countOf(t, db, c.query); got != n {
			t.Errorf("%s: %d, want %d", c.what, got, n)
		}
	}
}

// renewalInvoiceEvents counts the events of one type about period-2
// invoices, once per invoice.
func renewalInvoiceEvents(typ string) string {
	return `SELECT COUNT(DISTINCT e.subject) FROM events e JOIN invoices i ON i.id = e.subject
		WHERE e.project_id = ? AND e.type = 'com.gigs.invoice.` + typ + `' AND i.period_number = 2`
}

func countOf(t *testing.T, db *store.DB, query string) int {
	t.Helper()
	var n int
	must(t, db.QueryRow(context.Background(), query, benchProject).Scan(&n))
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
