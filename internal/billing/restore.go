package billing

import (
	"context"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/timeline"
)

// RestartedPeriod invoices the period restart of a restore, which
// subscriptions made (the period's one owner): the current period ended
// now and a full one began, paid by crediting the invoice just paid to the
// user's balance and issuing the restore invoice from it.
func (e *Invoices) RestartedPeriod(ctx context.Context, tx *store.Tx, restarted *subscriptions.Billed, paid *Invoice, now time.Time) error {
	b := restarted
	if err := timeline.Cancel(ctx, tx, KindAdvanceInvoice, b.ID); err != nil {
		return err
	}
	// Periods that were to come are replaced by the new one.
	if err := e.settleFrom(ctx, tx, restarted, now, originRestore, now); err != nil {
		return err
	}
	if _, err := creditToBalance(ctx, tx, b.Project, paid, originRestore, now); err != nil {
		return err
	}
	set, err := settingsOf(ctx, tx, b.Project)
	if err != nil || set == nil {
		return err
	}
	inv := restoreInvoice(paid, restarted.Period, now)
	if err := events.Record(ctx, tx, b.Project, "invoice.created", inv.ID, inv, now); err != nil {
		return err
	}
	if err := e.finalize(ctx, tx, inv, issue{project: b.Project, set: set, now: now}); err != nil {
		return err
	}
	return scheduleAdvance(ctx, tx, restarted, set)
}

// restoreInvoice copies the paid invoice's lines, taxes and fees for the
// new period: the user paid for one period and gets exactly one, so a
// changed price or rate cannot leave anything due.
func restoreInvoice(paid *Invoice, p *subscriptions.Period, now time.Time) *Invoice {
	inv := *paid
	inv.ID, inv.Reason, inv.Status, inv.CreatedAt = ids.New(ids.Invoice), ReasonSubscriptionRestore, StatusDraft, now
	inv.DueAt, inv.FinalizedAt, inv.PaidAt, inv.VoidedAt, inv.AppliedBalance = nil, nil, nil, nil, nil
	inv.overdueAt, inv.warnedAt, inv.overdueSince = nil, nil, nil
	inv.periodNumber = p.Number
	inv.Period = &InvoicePeriod{Number: p.Number, Start: p.Start, End: p.End}
	inv.LineItems = make([]InvoiceLineItem, len(paid.LineItems))
	for i, l := range paid.LineItems {
		l.ID, l.Period = ids.New(ids.InvoiceLine), &LinePeriod{Start: p.Start, End: p.End}
		l.Taxes = append([]InvoiceTax{}, l.Taxes...)
		for j := range l.Taxes {
			l.Taxes[j].ID = ids.New(ids.InvoiceTax)
		}
		inv.LineItems[i] = l
	}
	inv.Fees = append([]Fee{}, paid.Fees...)
	return &inv
}
