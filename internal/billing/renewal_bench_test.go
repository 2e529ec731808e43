package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/optional"
	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/subscriptions"
	"cellgate/internal/users"
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
	renewal := seedRenewing(t, db, plat, n, start)
	t.Logf("%s/%s: seeded %d active billed subscriptions in %s", engine.Name, behavior, n, time.Since(seeded).Round(time.Millisecond))
	setPaymentBehavior(t, db, behavior, start)

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

// seedRenewing creates a billed test project with n monthly subscriptions
// created at start and paid at once, so that all activate together and
// share one renewal instant, which it returns.
func seedRenewing(t *testing.T, db *store.DB, plat *platform.Platform, n int, start time.Time) time.Time {
	ctx := context.Background()
	var plan *catalog.Plan
	must(t, db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: benchProject, Type: projects.TypeTest, Billing: true}, start); err != nil {
			return err
		}
		if _, err := projects.Update(ctx, tx, benchProject, projects.UpdateInput{Billing: optional.Of(projects.BillingUpdate{
			PaymentBehavior: optional.Of(projects.PaymentAutomatic)})}, start); err != nil {
			return err
		}
		var in catalog.PlanInput
		_ = json.Unmarshal([]byte(`{"name":"Monthly","provider":"test","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
			"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`), &in)
		var err error
		plan, err = catalog.CreatePlan(ctx, tx, benchProject, in, start)
		return err
	}))
	for i := 0; i < n; i += 500 {
		must(t, db.InTx(ctx, func(tx *store.Tx) error {
			for j := i; j < i+500 && j < n; j++ {
				u, err := users.Create(ctx, tx, benchProject, users.CreateInput{Email: fmt.Sprintf("u%d@example.com", j)}, start)
				if err != nil {
					return err
				}
				if _, err := plat.Subscriptions.Create(ctx, tx, benchProject, subscriptions.CreateInput{Plan: plan.ID, User: u.ID, SIM: "auto"}, start); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	// The test provider activates a paid subscription 2 minutes later.
	activating := time.Now()
	_, err := plat.Timeline.Advance(ctx, benchProject, start.Add(time.Hour))
	must(t, err)
	t.Logf("activation of %d subscriptions took %s", n, time.Since(activating).Round(time.Millisecond))
	var end int64
	must(t, db.QueryRow(ctx, `SELECT MIN(period_end) FROM subscriptions WHERE project_id = ?`, benchProject).Scan(&end))
	if got := countOf(t, db, `SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status = 'active' AND period_end = `+
		strconv.FormatInt(end, 10)); got != n {
		t.Fatalf("%d subscriptions active and renewing at one instant, want %d", got, n)
	}
	return store.Time(end)
}

// setPaymentBehavior switches the project's payment behavior.
func setPaymentBehavior(t *testing.T, db *store.DB, behavior string, now time.Time) {
	ctx := context.Background()
	must(t, db.InTx(ctx, func(tx *store.Tx) error {
		_, err := projects.Update(ctx, tx, benchProject, projects.UpdateInput{Billing: optional.Of(projects.BillingUpdate{
			PaymentBehavior: optional.Of(behavior)})}, now)
		return err
	}))
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
