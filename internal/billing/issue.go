package billing

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"cellgate/internal/billing/tax"
	"cellgate/internal/catalog"
	"cellgate/internal/documents"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/payments"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/timeline"
	"cellgate/internal/users"
)

// issue is what one invoice is made of.
type issue struct {
	project, subscription, user, addressID string
	plan                                   *catalog.Plan
	set                                    *projects.Billing
	reason                                 string
	periodNumber                           int
	period                                 *subscriptions.Period // nil: the creation invoice
	// dueAt is set for renewal invoices, whose unpaid delinquency runs
	// overdueDays after it.
	dueAt       *time.Time
	overdueDays int
	// line replaces the plan's price with one priced line (reason other).
	line *otherLine
	now  time.Time
}

// InvoiceCreation issues the first invoice of a new subscription and
// reports whether it was paid at once (docs/billing.md §2 "Creation flow").
func (e *Invoices) InvoiceCreation(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, now time.Time) (bool, error) {
	set, err := settingsOf(ctx, tx, b.Project)
	if err != nil {
		return false, err
	}
	if set == nil {
		return false, fmt.Errorf("billing: project %s does not bill", b.Project)
	}
	inv, err := e.issue(ctx, tx, issue{project: b.Project, subscription: b.ID, user: b.User, addressID: b.AddressID,
		plan: b.Plan, set: set, reason: ReasonSubscriptionCreation, periodNumber: 1, now: now})
	if err != nil {
		return false, err
	}
	return inv.Status == StatusPaid, nil
}

// issueRenewal issues the renewal invoice of period p, due when p begins.
func (e *Invoices) issueRenewal(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, p *subscriptions.Period,
	set *projects.Billing, now time.Time) (*Invoice, error) {
	due := p.Start
	return e.issue(ctx, tx, issue{project: b.Project, subscription: b.ID, user: b.User, addressID: b.AddressID, plan: b.PlanOf(p),
		set: set, reason: ReasonSubscriptionRenewal, periodNumber: p.Number, period: p, dueAt: &due,
		overdueDays: overdueDays(b, set), now: now})
}

// issue prices, creates and finalizes an invoice in one step, applies the
// user's balance, and pays it when the project pays automatically or
// nothing is left to pay; otherwise a renewal invoice gets its
// delinquency timers.
func (e *Invoices) issue(ctx context.Context, tx *store.Tx, in issue) (*Invoice, error) {
	j, addressID, err := e.taxPlace(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	a, err := e.amounts(ctx, tx, in, j)
	if err != nil {
		return nil, err
	}
	inv := newInvoice(a, in)
	inv.taxAt = j
	if addressID != "" {
		inv.Address = &addressID
	}
	if err := events.Record(ctx, tx, in.project, "invoice.created", inv.ID, inv, in.now); err != nil {
		return nil, err
	}
	return inv, e.finalize(ctx, tx, inv, in)
}

// finalize applies the balance, stores the invoice finalized and pays it
// or schedules its delinquency.
func (e *Invoices) finalize(ctx context.Context, tx *store.Tx, inv *Invoice, in issue) error {
	inv.Status, inv.FinalizedAt = StatusFinalized, &in.now
	if in.dueAt != nil {
		at := in.dueAt.Add(time.Duration(in.overdueDays) * day)
		if in.period != nil && at.After(in.period.End) {
			at = in.period.End // overdue by the next renewal at the latest
		}
		inv.overdueAt = &at
	}
	applied, err := takeBalance(ctx, tx, in.project, inv, in.now)
	if err != nil {
		return err
	}
	if applied > 0 {
		inv.AppliedBalance = &money.Price{Amount: applied, Currency: inv.Total.Currency}
	}
	if err := insertInvoice(ctx, tx, in.project, inv); err != nil {
		return err
	}
	file, err := documents.Issue(ctx, tx, in.project, documents.KindInvoice, inv.ID, in.now)
	if err != nil {
		return err
	}
	inv.FileURL = documents.URL(sql.NullString{String: file, Valid: true})
	if err := events.Record(ctx, tx, in.project, "invoice.finalized", inv.ID, inv, in.now); err != nil {
		return err
	}
	if amountDue(inv) == 0 {
		return markPaid(ctx, tx, in.project, inv, in.now)
	}
	if in.set.PaymentBehavior == projects.PaymentAutomatic {
		// With a payment provider, collection owns the dunning: retries,
		// then the delinquency settings (docs/payments.md). Without one,
		// automatic means paid at once.
		due := money.Price{Amount: amountDue(inv), Currency: inv.Total.Currency}
		collecting, err := payments.Collect(ctx, tx, payments.Invoice{Project: in.project, ID: inv.ID, User: inv.User,
			Reason: inv.Reason, Due: due, Discount: inv.Discount}, in.now)
		if err != nil || collecting {
			return err
		}
		return markPaid(ctx, tx, in.project, inv, in.now)
	}
	if inv.overdueAt == nil {
		return nil
	}
	return scheduleDelinquency(ctx, tx, in.project, inv, in.now)
}

// scheduleDelinquency plans the warning 24 hours before the invoice is
// overdue, which in turn plans the overdue step; when that moment has
// passed, the warning is given now. One timer per unpaid invoice at a
// time keeps renewals cheap.
func scheduleDelinquency(ctx context.Context, tx *store.Tx, project string, inv *Invoice, now time.Time) error {
	if warnAt := inv.overdueAt.Add(-day); warnAt.After(now) {
		return timeline.Schedule(ctx, tx, project, KindWillBeOverdue, inv.ID, warnAt)
	}
	if err := warn(ctx, tx, project, inv, now); err != nil {
		return err
	}
	return timeline.Schedule(ctx, tx, project, KindOverdue, inv.ID, *inv.overdueAt)
}

// taxPlace is where the invoice is taxed: the subscription's address, or
// the project's tax country (also when the address has since been deleted).
func (e *Invoices) taxPlace(ctx context.Context, tx *store.Tx, in issue) (*tax.Jurisdiction, string, error) {
	if in.addressID != "" {
		a, err := users.GetAddress(ctx, tx, in.project, in.user, in.addressID)
		if err == nil {
			j, err := jurisdiction(ctx, tx, in.project, a)
			return j, a.ID, err
		}
		if !errs.IsKind(err, errs.KindNotFound) {
			return nil, "", err
		}
	}
	j, err := timeline.Memo(ctx, tx, "taxCountry/"+in.project, func() (*tax.Jurisdiction, error) {
		return jurisdiction(ctx, tx, in.project, nil)
	})
	return j, "", err
}

// amounts prices one plan period. Within a batch of timers the result is
// shared by every invoice with the same plan, place and settings.
func (e *Invoices) amounts(ctx context.Context, tx *store.Tx, in issue, j *tax.Jurisdiction) (Amounts, error) {
	if in.line != nil {
		return Compute(ctx, e.TaxCalculator(), Input{Jurisdiction: j, Currency: in.set.Currency, Behavior: in.set.TaxBehavior,
			Lines: []tax.Line{{Key: in.plan.ID, Price: in.line.amount}}, RecoveryBPS: in.set.RecoveryFeeBasisPoints()})
	}
	place := "-"
	if j != nil {
		place = j.Country + "/" + j.State + "/" + j.PostalCode
	}
	var start *time.Time
	if in.period != nil {
		start = &in.period.Start
	}
	discount, err := invoiceDiscount(ctx, tx, in.project, in.subscription, in.periodNumber, start, in.plan.Price.Amount)
	if err != nil {
		return Amounts{}, err
	}
	key := fmt.Sprintf("amounts/%s/%d/%d/%s/%s/%s/%d", in.plan.ID, in.plan.Price.Amount, discount, place, in.set.Currency, in.set.TaxBehavior,
		in.set.RecoveryFeeBasisPoints())
	return timeline.Memo(ctx, tx, key, func() (Amounts, error) {
		return Compute(ctx, e.TaxCalculator(), Input{Jurisdiction: j, Currency: in.set.Currency, Behavior: in.set.TaxBehavior,
			Lines: []tax.Line{{Key: in.plan.ID, Price: in.plan.Price.Amount, Discount: discount}}, RecoveryBPS: in.set.RecoveryFeeBasisPoints()})
	})
}

// amountDue is what remains to pay once the user balance is applied.
func amountDue(inv *Invoice) int64 {
	due := inv.Total.Amount
	if inv.AppliedBalance != nil {
		due -= inv.AppliedBalance.Amount
	}
	return due
}

// newInvoice builds the draft invoice from its computed amounts, with
// fresh ids for the invoice, its lines and their taxes.
func newInvoice(a Amounts, in issue) *Invoice {
	currency := in.set.Currency
	price := func(v int64) money.Price { return money.Price{Amount: v, Currency: currency} }
	inv := &Invoice{Object: "invoice", ID: ids.New(ids.Invoice), CreatedAt: in.now, Discount: price(a.Discount), Fees: a.Fees,
		LineItems: []InvoiceLineItem{}, Reason: in.reason, Status: StatusDraft, Subscription: in.subscription,
		Subtotal: price(a.Subtotal), Tax: price(a.Tax), Total: price(a.Total), User: in.user, periodNumber: in.periodNumber,
		DueAt: in.dueAt}
	if a.ExemptionReason != "" {
		r := a.ExemptionReason
		inv.TaxExemptionReason = &r
	}
	var span *LinePeriod
	if in.period != nil {
		inv.Period = &InvoicePeriod{Number: in.period.Number, Start: in.period.Start, End: in.period.End}
		span = &LinePeriod{Start: in.period.Start, End: in.period.End}
	}
	description, addon := in.plan.Name, ""
	if in.line != nil {
		description, span, addon = in.line.description, in.line.span, in.line.addon
	}
	for _, l := range a.Lines {
		li := InvoiceLineItem{Object: "invoiceLineItem", ID: ids.New(ids.InvoiceLine), Amount: l.Amount, Description: description,
			Discount: l.Discount, Period: span, Plan: in.plan.ID, Addon: addon, Quantity: 1, Tax: l.Tax, Taxes: []InvoiceTax{},
			Total: l.Amount - l.Discount + l.Tax}
		for _, x := range l.Taxes {
			li.Taxes = append(li.Taxes, InvoiceTax{Object: "invoiceTax", ID: ids.New(ids.InvoiceTax), Amount: x.Amount, Name: x.Name,
				Percentage: Percentage(x.PPM), Type: x.Type})
		}
		inv.LineItems = append(inv.LineItems, li)
	}
	return inv
}
