package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"cellgate/internal/platform"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestBillingCrashDuringRenewals is the crash test of docs/billing.md §11:
// `cellgate clock advance` is killed with SIGKILL while 10,000 billed
// subscriptions renew at one instant, then rerun to completion. Every
// period is invoiced exactly once, with one created and one finalized
// event per invoice, and the unique index refuses a second live invoice
// of a period. Set CELLGATE_TEST_SHORT_CRASH=1 to skip it.
func TestBillingCrashDuringRenewals(t *testing.T) {
	if testing.Short() || os.Getenv("CELLGATE_TEST_SHORT_CRASH") != "" {
		t.Skip("builds and kills the real binary")
	}
	bin := buildBinary(t)
	engines := []struct{ name, url string }{{"sqlite", "sqlite:" + filepath.Join(t.TempDir(), "crash.db")}}
	if pg := os.Getenv(storetest.EnvPostgres); pg != "" {
		engines = append(engines, struct{ name, url string }{"postgres", postgresSchema(t, pg)})
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { crashDuringRenewals(t, bin, e.url) })
	}
}

const (
	crashProject = "crash"
	crashSubs    = 10000
)

func crashDuringRenewals(t *testing.T, bin, dbURL string) {
	ctx := context.Background()
	seeded := time.Now()
	renewal := seedRenewals(t, dbURL, crashSubs)
	t.Logf("seeded %d subscriptions renewing at %s in %s", crashSubs, renewal.Format(time.RFC3339), time.Since(seeded).Round(time.Millisecond))
	target := renewal.Add(time.Minute)
	advance := []string{"clock", "advance", crashProject, "--to", target.Format(time.RFC3339), "--database", dbURL}

	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	renewalInvoices := func() int {
		return countRows(t, db, `SELECT COUNT(*) FROM invoices WHERE project_id = ? AND period_number = 2`)
	}

	// Kill the advance a quarter of the way through, while a later batch
	// is most likely running.
	child := start(t, bin, childEnv(), advance...)
	deadline := time.Now().Add(60 * time.Second)
	for renewalInvoices() < crashSubs/4 {
		select {
		case <-child.done:
			t.Fatalf("clock advance ended (%v) before a quarter of the renewals were seen\nstderr:\n%s", child.err, child.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not a quarter of the renewals within 60s\nstderr:\n%s", child.stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	_ = child.cmd.Process.Signal(syscall.SIGKILL)
	<-child.done
	atKill := renewalInvoices()
	t.Logf("killed the advance with %d of %d renewal invoices", atKill, crashSubs)
	if atKill == 0 || atKill >= crashSubs {
		t.Fatalf("%d renewal invoices at the kill: no partial state was caught (the run finished first)", atKill)
	}

	rerun := start(t, bin, childEnv(), advance...)
	select {
	case <-rerun.done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("the rerun did not finish within 3 minutes\nstderr:\n%s", rerun.stderr.String())
	}
	if rerun.err != nil {
		t.Fatalf("rerun: %v\nstderr:\n%s", rerun.err, rerun.stderr.String())
	}
	var out struct {
		TimersRun int    `json:"timersRun"`
		Elapsed   string `json:"elapsed"`
	}
	if err := json.Unmarshal([]byte(rerun.stdout.String()), &out); err != nil {
		t.Fatalf("rerun output %q: %v", rerun.stdout.String(), err)
	}
	t.Logf("rerun ran %d timers in %s (%d before the kill)", out.TimersRun, out.Elapsed, crashSubs-out.TimersRun)

	checks := []struct{ what, query string }{
		{"live period-2 invoices", `SELECT COUNT(*) FROM invoices WHERE project_id = ? AND period_number = 2 AND status <> 'voided'
			AND reason = 'subscriptionRenewal'`},
		{"subscriptions with a live period-2 invoice", `SELECT COUNT(DISTINCT subscription_id) FROM invoices
			WHERE project_id = ? AND period_number = 2 AND status <> 'voided'`},
		{"subscription.renewed events", `SELECT COUNT(*) FROM events WHERE project_id = ? AND type = 'com.gigs.subscription.renewed'`},
		{"subscriptions renewed", `SELECT COUNT(DISTINCT subject) FROM events WHERE project_id = ? AND type = 'com.gigs.subscription.renewed'`},
		{"invoice.created events of period-2 invoices", periodTwoEvents("COUNT(*)", "created")},
		{"period-2 invoices with invoice.created", periodTwoEvents("COUNT(DISTINCT e.subject)", "created")},
		{"invoice.finalized events of period-2 invoices", periodTwoEvents("COUNT(*)", "finalized")},
		{"period-2 invoices with invoice.finalized", periodTwoEvents("COUNT(DISTINCT e.subject)", "finalized")},
		{"subscriptions active in period 2", `SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status = 'active' AND period_number = 2`},
		// Creation and renewal invoices: a rolled-back batch leaves no
		// event about an invoice that does not exist.
		{"invoice.created events in all", `SELECT COUNT(*) FROM events WHERE project_id = ? AND type = 'com.gigs.invoice.created'`},
	}
	for i, c := range checks {
		want := crashSubs
		if i == len(checks)-1 {
			want = 2 * crashSubs
		}
		if got := countRows(t, db, c.query); got != want {
			t.Errorf("%s: %d, want %d", c.what, got, want)
		}
	}
	due := countRows(t, db, `SELECT COUNT(*) FROM timeline WHERE project_id = ? AND due_at <= `+strconv.FormatInt(store.Micros(target), 10))
	if due != 0 {
		t.Errorf("%d timers due by %s left", due, target.Format(time.RFC3339))
	}

	// The backstop: a second live invoice of a period is refused.
	_, err = db.Exec(ctx, `INSERT INTO invoices (id, project_id, user_id, subscription_id, reason, status, currency, period_number,
		period_start, period_end, subtotal, discount, tax, fees_total, total, line_items, fees, due_at, created_at, updated_at)
		SELECT 'inv_duplicate', project_id, user_id, subscription_id, reason, 'finalized', currency, period_number,
		period_start, period_end, subtotal, discount, tax, fees_total, total, line_items, fees, due_at, created_at, updated_at
		FROM invoices WHERE project_id = ? AND period_number = 2 ORDER BY id LIMIT 1`, crashProject)
	if !store.IsUniqueViolation(err) {
		t.Errorf("a second live period-2 invoice: err %v, want a unique violation", err)
	}
}

// periodTwoEvents counts (with what) the invoice events of one type about
// period-2 invoices.
func periodTwoEvents(what, typ string) string {
	return `SELECT ` + what + ` FROM events e JOIN invoices i ON i.id = e.subject
		WHERE e.project_id = ? AND e.type = 'com.gigs.invoice.` + typ + `' AND i.period_number = 2`
}

func countRows(t *testing.T, db *store.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, crashProject).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// seedRenewals creates, in process, a billed test project with n active
// monthly subscriptions renewing at one instant, which it returns; the
// project pays manually, so renewal invoices stay finalized with their
// delinquency timers.
func seedRenewals(t *testing.T, dbURL string, n int) time.Time {
	ctx := context.Background()
	db, err := openDatabase(ctx, dbURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	plat := platform.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	renewal, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: crashProject, N: n,
		Start: time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC), Billed: true})
	mustDo(t, err)
	return renewal
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
