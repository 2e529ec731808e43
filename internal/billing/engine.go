package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/billing/tax"
	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/timeline"
)

// Invoices is the billing engine: it issues the invoices of billed
// subscriptions and runs their delinquency (docs/billing.md §2, §3). It
// reads subscriptions but never changes one: what a subscription must do
// after an invoice changes is returned, and package lines does it
// (docs/architecture.md).
type Invoices struct {
	Calculator tax.Calculator
}

// RenewalCheck is the engine's answer before a renewal.
type RenewalCheck struct {
	// Refused ends the subscription for an unpaid invoice instead.
	Refused bool
	// Invoiced says the next period was already invoiced in advance.
	Invoiced bool
}

// TaxCalculator is the calculator invoices and quotes are taxed with: the
// configured one, else the built-in rates.
func (e *Invoices) TaxCalculator() tax.Calculator {
	if e.Calculator == nil {
		return DefaultCalculator()
	}
	return e.Calculator
}

// Timer kinds of the engine.
const (
	KindAdvanceInvoice = "billing.advanceInvoice"
	KindWillBeOverdue  = "invoice.willBeOverdue"
	KindOverdue        = "invoice.overdue"
)

// Handlers are the engine's timers that change invoices only; the
// overdue timer, which acts on the subscription too, runs in package
// lines through Overdue.
func (e *Invoices) Handlers() timeline.Handlers {
	return timeline.Handlers{
		KindAdvanceInvoice: e.handleAdvanceInvoice,
		KindWillBeOverdue:  e.handleWillBeOverdue,
	}
}

// settingsOf reads the project's billing settings once per batch of
// timers; nil when the project no longer bills.
func settingsOf(ctx context.Context, tx *store.Tx, project string) (*projects.Billing, error) {
	return timeline.Memo(ctx, tx, "billing/"+project, func() (*projects.Billing, error) {
		p, err := projects.Get(ctx, tx, project)
		if err != nil {
			return nil, err
		}
		return p.Billing, nil
	})
}

// overdueDays is the grace the subscription gets after renewal.
func overdueDays(b *subscriptions.Billed, set *projects.Billing) int {
	if b.OverdueDays != nil {
		return *b.OverdueDays
	}
	return set.InvoiceOverdueDays
}

// overdueAction is what happens when the subscription's invoice is overdue.
func overdueAction(b *subscriptions.Billed, set *projects.Billing) string {
	if b.OverdueAction != nil {
		return *b.OverdueAction
	}
	return set.InvoiceOverdueAction
}

const day = 24 * time.Hour

// advanceAt is when the renewal invoice for the period after p is issued:
// A days before p ends, but never before p began.
func advanceAt(p *subscriptions.Period, days int) time.Time {
	at := p.End.Add(-time.Duration(days) * day)
	if at.Before(p.Start) {
		return p.Start
	}
	return at
}

// PeriodStarted issues the renewal invoice of a period just entered when
// asked (it was not issued in advance), and schedules the advance invoice
// of the next.
func (e *Invoices) PeriodStarted(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, now time.Time, invoice bool) error {
	set, err := settingsOf(ctx, tx, b.Project)
	if err != nil || set == nil {
		return err
	}
	if invoice {
		if _, err := e.issueRenewal(ctx, tx, b, b.Period, set, now); err != nil {
			return err
		}
	}
	return scheduleAdvance(ctx, tx, b, set)
}

// scheduleAdvance plans the advance invoice of the period after the
// current one, when the project invoices in advance.
func scheduleAdvance(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, set *projects.Billing) error {
	if set.AdvanceInvoicingDays == 0 || b.Next == nil {
		return nil
	}
	return timeline.Schedule(ctx, tx, b.Project, KindAdvanceInvoice, b.ID, advanceAt(b.Period, set.AdvanceInvoicingDays))
}

// BeforeRenewal is the renewal check of docs/billing.md §3: an invoice of
// the ending period still unpaid, or an advance invoice already overdue,
// ends the subscription instead of renewing it; the invoice becomes overdue
// first if it was not yet. It also tells whether the next period is
// already invoiced.
func (e *Invoices) BeforeRenewal(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, at time.Time) (RenewalCheck, error) {
	var check RenewalCheck
	states, err := subscriptionInvoiceStates(ctx, tx, b.Project, b.ID)
	if err != nil {
		return check, err
	}
	for _, st := range states {
		check.Invoiced = check.Invoiced || st.periodNumber == b.Period.Number+1
		if st.status != StatusFinalized {
			continue
		}
		current := st.periodNumber <= b.Period.Number
		advanceDue := st.periodNumber == b.Period.Number+1 && st.overdueAt != nil && !st.overdueAt.After(at)
		if current || advanceDue {
			check.Refused = true
			inv, err := loadInvoice(ctx, tx, b.Project, st.id)
			if err != nil {
				return check, err
			}
			return check, e.markOverdue(ctx, tx, b.Project, inv, at)
		}
	}
	return check, nil
}

// Canceled settles the invoice of a period the subscription will no longer
// enter: canceled before the cutoff, it ends with the current period.
func (e *Invoices) Canceled(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, now time.Time) error {
	if !b.Live() || !b.Canceled() {
		return nil
	}
	return e.settleFrom(ctx, tx, b, *b.EndsAt, originCancel, now)
}

// Resumed undoes what the cancellation settled (docs/billing.md §3
// reading 9): a paid advance invoice it credited to the balance gets the
// credit voided and counts again; one it voided is issued anew when its
// time has come.
func (e *Invoices) Resumed(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, now time.Time) error {
	if !b.Live() {
		return nil
	}
	// Lock order (docs/concurrency.md): the invoices, then every credit
	// note to void, before the first balance moves; voiding one note at a
	// time would hold the balance while waiting for the next note.
	if _, err := subscriptionInvoiceStates(ctx, tx, b.Project, b.ID); err != nil {
		return err
	}
	notes, err := store.All(ctx, tx, store.ScanString, `SELECT c.id FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id
		WHERE i.subscription_id = ? AND i.project_id = ? AND i.period_number > ? AND c.origin = ? AND c.status = ? ORDER BY c.id`+
		store.LockInTx(tx), b.ID, b.Project, b.Period.Number, originCancel, CreditIssued)
	if err != nil {
		return err
	}
	for _, id := range notes {
		if _, err := VoidCreditNote(ctx, tx, b.Project, id, now); err != nil {
			return err
		}
	}
	return e.issueAdvanceIfDue(ctx, tx, b, now)
}

// Ended settles the invoices of periods the subscription never enters.
func (e *Invoices) Ended(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, at time.Time) error {
	if err := timeline.Cancel(ctx, tx, KindAdvanceInvoice, b.ID); err != nil {
		return err
	}
	if err := voidOthers(ctx, tx, b.Project, b.ID, at); err != nil {
		return err
	}
	return e.settleFrom(ctx, tx, b, at, originEnd, at)
}

// lockInvoice reads an invoice for a change together with its
// subscription. The subscription row is locked before the invoice, the
// order every lifecycle path takes (subscription, then its invoices), so
// a payment and a renewal of one subscription never deadlock on
// PostgreSQL. b is nil for an invoice whose subscription is not billed.
func (e *Invoices) lockInvoice(ctx context.Context, tx *store.Tx, project, id string) (*Invoice, *subscriptions.Billed, error) {
	var subscription string
	err := tx.QueryRow(ctx, `SELECT subscription_id FROM invoices WHERE id = ? AND project_id = ?`, id, project).Scan(&subscription)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errs.NotFound("invoice", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("billing: invoice %s: %w", id, err)
	}
	b, err := subscriptions.LoadBilled(ctx, tx, project, subscription)
	if err != nil {
		return nil, nil, err
	}
	inv, err := loadInvoice(ctx, tx, project, id)
	return inv, b, err
}
