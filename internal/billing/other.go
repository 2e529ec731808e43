package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/billing/tax"
	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Invoices with reason other are one-off charges of a subscription: a
// prorated plan change, an add-on (docs/changes.md). They are no period's
// invoice: no delinquency runs on them, renewals ignore them, and what
// they pay for stays initiated until they are paid.

// otherLine is the one line of such an invoice.
type otherLine struct {
	amount      int64
	description string
	span        *LinePeriod
	addon       string
}

// Prorate is the part of a price difference that the rest of a period
// costs: diff × remaining ÷ length, counted in whole seconds and rounded
// half up to the minor unit.
func Prorate(diff int64, p *subscriptions.Period, now time.Time) (int64, error) {
	length := int64(p.End.Sub(p.Start) / time.Second)
	left := int64(p.End.Sub(now) / time.Second)
	if length <= 0 || left <= 0 {
		return 0, nil
	}
	return tax.RoundDiv(diff, min(left, length), length)
}

// CheckChangeWindow refuses a plan change once the next period's invoice
// has been issued in advance: it priced the plan of that period.
func (e *Invoices) CheckChangeWindow(ctx context.Context, tx *store.Tx, b *subscriptions.Billed) error {
	if b.Next == nil {
		return nil
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM invoices WHERE subscription_id = ? AND project_id = ? AND period_number = ?
		AND status <> 'voided' AND reason <> 'other'`, b.ID, b.Project, b.Next.Number).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("billing: next invoice of %s: %w", b.ID, err)
	}
	return errs.Invalid("subscriptionPlanChangeTooCloseToRenewal", "The invoice of the next period of %s is already issued.", b.ID).
		WithHint("Request the change after the renewal.")
}

// InvoiceChange prices a plan change applied now with the project's
// proration behavior: prorateImmediately invoices the prorated difference
// of a dearer plan (taxes and fees as any invoice) and credits that of a
// cheaper one to the user's balance (creditDowngrade); none invoices
// nothing and the new price applies from the next renewal. It returns
// the invoice ("" when none) and whether it is paid.
func (e *Invoices) InvoiceChange(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, to *catalog.Plan, now time.Time) (string, bool, error) {
	set, err := settingsOf(ctx, tx, b.Project)
	if err != nil || set == nil || set.ProrationBehavior != projects.ProrationImmediately || !b.Live() {
		return "", false, err
	}
	diff := to.Price.Amount - b.Plan.Price.Amount
	if diff < 0 {
		return "", false, e.creditDowngrade(ctx, tx, b, -diff, now)
	}
	if diff == 0 {
		return "", false, nil
	}
	amount, err := Prorate(diff, b.Period, now)
	if err != nil || amount == 0 {
		return "", false, err
	}
	line := &otherLine{amount: amount, description: fmt.Sprintf("%s (prorated, from %s)", to.Name, b.Plan.Name),
		span: &LinePeriod{Start: now, End: b.Period.End}}
	inv, err := e.issueOther(ctx, tx, b, to, set, line, now)
	if err != nil {
		return "", false, err
	}
	return inv.ID, inv.Status == StatusPaid, nil
}

// creditDowngrade credits a change to a plan cheaper by saving for the
// rest of the period: the paid invoice of the current period is credited
// to the user's balance in the share the prorated saving is of the old
// plan's price, spread over its lines, taxes and fees, so the taxes
// credited follow the revenue given back (seed 003). An unpaid period
// invoice is not credited: the new price applies from the next renewal.
func (e *Invoices) creditDowngrade(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, saving int64, now time.Time) error {
	prorated, err := Prorate(saving, b.Period, now)
	if err != nil || prorated == 0 || b.Plan.Price.Amount <= 0 {
		return err
	}
	invs, err := subscriptionInvoices(ctx, tx, b.Project, b.ID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if inv.periodNumber != b.Period.Number || inv.Status != StatusPaid {
			continue
		}
		_, err := creditShare(ctx, tx, b.Project, inv, CreditToUserBalance, func(full int64) int64 {
			share, _ := tax.RoundDiv(full, prorated, b.Plan.Price.Amount)
			return min(share, full)
		}, now)
		return err
	}
	return nil
}

// InvoiceAddon invoices an add-on bought for a billed subscription: one
// line at the add-on's price, with taxes and fees. It returns the invoice
// and whether it is paid.
func (e *Invoices) InvoiceAddon(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, a *catalog.Addon, now time.Time) (string, bool, error) {
	set, err := settingsOf(ctx, tx, b.Project)
	if err != nil || set == nil {
		return "", false, err
	}
	if a.Price.Currency != set.Currency {
		return "", false, errs.Invalid("addonCurrencyMismatch", "The add-on %s is priced in %s but the project bills in %s.", a.ID, a.Price.Currency, set.Currency)
	}
	inv, err := e.issueOther(ctx, tx, b, b.Plan, set, &otherLine{amount: a.Price.Amount, description: a.Name, addon: a.ID}, now)
	if err != nil {
		return "", false, err
	}
	return inv.ID, inv.Status == StatusPaid, nil
}

// issueOther issues an invoice with reason other for one line.
func (e *Invoices) issueOther(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, plan *catalog.Plan, set *projects.Billing,
	line *otherLine, now time.Time) (*Invoice, error) {
	number := 1
	if b.Period != nil {
		number = b.Period.Number
	}
	return e.issue(ctx, tx, issue{project: b.Project, subscription: b.ID, user: b.User, addressID: b.AddressID, plan: plan, set: set,
		reason: ReasonOther, periodNumber: number, line: line, now: now})
}

// RepriceNext prices the next period of a subscription whose renewal
// change failed on the plan it keeps, when the advance invoice priced the
// change's plan: unpaid, that invoice is voided and issued again; paid,
// it is credited in full to the user's balance and the period is invoiced
// again (reason other, the kept plan's price), which the balance pays
// first. Either way the user pays the kept plan's price (docs/changes.md).
func (e *Invoices) RepriceNext(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, now time.Time) error {
	set, err := settingsOf(ctx, tx, b.Project)
	if err != nil || set == nil || b.Next == nil {
		return err
	}
	invs, err := subscriptionInvoices(ctx, tx, b.Project, b.ID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if inv.periodNumber != b.Next.Number || inv.Reason == ReasonOther || len(inv.LineItems) == 0 || inv.LineItems[0].Plan == b.Plan.ID {
			continue
		}
		switch inv.Status {
		case StatusFinalized:
			if err := markVoided(ctx, tx, b.Project, inv, now); err != nil {
				return err
			}
			_, err := e.issueRenewal(ctx, tx, b, b.Next, set, now)
			return err
		case StatusPaid:
			if _, err := creditToBalance(ctx, tx, b.Project, inv, originEnd, now); err != nil {
				return err
			}
			line := &otherLine{amount: b.Plan.Price.Amount, description: fmt.Sprintf("%s (the plan change was refused)", b.Plan.Name),
				span: &LinePeriod{Start: b.Next.Start, End: b.Next.End}}
			_, err := e.issueOther(ctx, tx, b, b.Plan, set, line, now)
			return err
		}
	}
	return nil
}

// SettleOther undoes an invoice with reason other whose purchase did not
// happen: voided when unpaid, credited in full to the user's balance
// when paid.
func (e *Invoices) SettleOther(ctx context.Context, tx *store.Tx, project, id string, now time.Time) error {
	if id == "" {
		return nil
	}
	inv, err := loadInvoice(ctx, tx, project, id)
	if err != nil {
		return err
	}
	switch inv.Status {
	case StatusPaid:
		_, err = creditToBalance(ctx, tx, project, inv, originEnd, now)
	case StatusFinalized:
		err = markVoided(ctx, tx, project, inv, now)
	}
	return err
}

// voidOthers voids the unpaid invoices with reason other of a
// subscription that ended: what they would pay for ended with it.
func voidOthers(ctx context.Context, tx *store.Tx, project, subscription string, now time.Time) error {
	invs, err := store.All(ctx, tx, scanInvoice, `SELECT `+invoiceColumns+` FROM invoices WHERE subscription_id = ? AND project_id = ?
		AND reason = 'other' AND status = 'finalized' ORDER BY id`+store.LockInTx(tx), subscription, project)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if err := markVoided(ctx, tx, project, inv, now); err != nil {
			return err
		}
	}
	return nil
}
