package billing_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/optional"
	"cellgate/internal/platform"
	"cellgate/internal/platform/platformtest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// errorCount is a log handler that counts errors: the live timer worker
// logs a failed timer and retries it later, which this test must not see.
type errorCount struct {
	slog.Handler
	n *atomic.Int64
}

func (h errorCount) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.n.Add(1)
	}
	return nil
}

// TestBillingPaymentsRaceRenewals: on a live project, payments of renewal
// invoices run while the worker renews the subscriptions, makes the
// invoices overdue and restricts the lines (overdue at once, action
// restrict). A payment locks the subscription before its invoice, as the
// renewal does, so the two never deadlock on PostgreSQL; whichever comes
// first, every line ends active with its invoice paid, and a line that was
// restricted was restored with its period restarted.
func TestBillingPaymentsRaceRenewals(t *testing.T) {
	t.Parallel()
	const subs = 120
	for _, engine := range storetest.Engines(t) {
		t.Run(engine.Name, func(t *testing.T) {
			t.Parallel()
			db := engine.Open(t)
			ctx := context.Background()
			var logged atomic.Int64
			plat := platform.New(db, slog.New(errorCount{Handler: slog.DiscardHandler, n: &logged}), nil)
			start := time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)
			renewal, err := platformtest.Seed(ctx, plat, platformtest.Population{Project: "race", N: subs, Start: start, Billed: true})
			must(t, err)
			must(t, db.InTx(ctx, func(tx *store.Tx) error {
				_, err := projects.Update(ctx, tx, "race", projects.UpdateInput{Billing: optional.Of(projects.BillingUpdate{
					InvoiceOverdueDays: optional.Of(0), InvoiceOverdueAction: optional.Of(projects.OverdueActionRestrict)})}, start)
				return err
			}))
			// From now on the project runs on the wall clock of the worker.
			_, err = db.Exec(ctx, `UPDATE projects SET clock_now = NULL WHERE id = ?`, "race")
			must(t, err)
			now := renewal.Add(time.Minute)

			var workerDone atomic.Bool
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer workerDone.Store(true)
				for {
					n, err := plat.Timeline.RunDue(ctx, now)
					if err != nil {
						t.Errorf("worker: %v", err)
						return
					}
					if n == 0 {
						return
					}
				}
			}()
			var paid atomic.Int64
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						finished := workerDone.Load()
						open, err := store.All(ctx, db, store.ScanString, `SELECT id FROM invoices WHERE project_id = ? AND status = 'finalized'
							AND reason = 'subscriptionRenewal' ORDER BY id`, "race")
						if err != nil {
							t.Errorf("list: %v", err)
							return
						}
						if len(open) == 0 && finished {
							return
						}
						for _, id := range open {
							err := db.InTx(ctx, func(tx *store.Tx) error {
								_, err := plat.Lines.Pay(ctx, tx, "race", id, now)
								return err
							})
							var e *errs.Error
							switch {
							case err == nil:
								paid.Add(1)
							case errors.As(err, &e) && e.Kind == errs.KindConflict:
							default:
								t.Errorf("pay %s: %v", id, err)
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			if logged.Load() != 0 {
				t.Fatalf("the worker logged %d errors (a timer failed and was put off)", logged.Load())
			}
			count := func(query string) int {
				var n int
				must(t, db.QueryRow(ctx, query, "race").Scan(&n))
				return n
			}
			if n := paid.Load(); n != subs {
				t.Fatalf("%d renewal invoices paid, want %d (each exactly once)", n, subs)
			}
			if n := count(`SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status = 'active'`); n != subs {
				t.Fatalf("%d subscriptions active after paying, want %d", n, subs)
			}
			restored := count(`SELECT COUNT(*) FROM events WHERE project_id = ? AND type = 'com.gigs.subscription.restored'`)
			restricted := count(`SELECT COUNT(*) FROM events WHERE project_id = ? AND type = 'com.gigs.subscription.restricted'`)
			restoreInvoices := count(`SELECT COUNT(*) FROM invoices WHERE project_id = ? AND reason = 'subscriptionRestore' AND status = 'paid'`)
			if restored != restricted || restoreInvoices != restricted {
				t.Fatalf("restricted %d, restored %d, restore invoices %d: every restricted line must be restored once, with its invoice",
					restricted, restored, restoreInvoices)
			}
			t.Logf("%s: %d lines restricted before their payment, all restored", engine.Name, restricted)
		})
	}
}
