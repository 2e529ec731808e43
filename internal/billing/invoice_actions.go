package billing

import (
	"context"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/payments"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Settlement is a paid or voided invoice and what its subscription is to
// do about it; package lines does it (docs/architecture.md).
type Settlement struct {
	Invoice *Invoice
	// Activate says the first invoice is paid: the initiated subscription
	// starts.
	Activate bool
	// Restore is the restricted subscription that no longer owes an
	// overdue invoice: it gets its service back. Restart asks for its
	// period to restart first, paid by Invoice (RestartedPeriod).
	Restore *subscriptions.Billed
	Restart bool
}

// Pay marks a finalized invoice paid and says what the subscription does:
// a first invoice activates it, an overdue one restores it; a paid renewal
// invoice releases a held advance invoice here (docs/billing.md §3).
// payment is the payment that collected it, "" when paid by request: its
// collection, if any, stops.
func (e *Invoices) Pay(ctx context.Context, tx *store.Tx, project, id, payment string, now time.Time) (*Settlement, error) {
	inv, b, err := e.lockInvoice(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	switch inv.Status {
	case StatusPaid:
		return nil, errs.Conflict("invoiceAlreadyPaid", "The invoice %s is already paid.", id)
	case StatusVoided:
		return nil, errs.Conflict("invoiceVoided", "The invoice %s is voided and cannot be paid.", id)
	}
	if err := cancelTimers(ctx, tx, inv); err != nil {
		return nil, err
	}
	if err := payments.Cancel(ctx, tx, project, inv.ID, now); err != nil {
		return nil, err
	}
	if payment != "" {
		inv.Payment = &payment
	}
	if err := markPaid(ctx, tx, project, inv, now); err != nil {
		return nil, err
	}
	done := &Settlement{Invoice: inv}
	if inv.Reason == ReasonSubscriptionCreation {
		done.Activate = true
		return done, nil
	}
	if b == nil || b.Status == subscriptions.StatusEnded {
		return done, nil
	}
	if b.Status == subscriptions.StatusRestricted {
		// A canceled subscription keeps its scheduled end and is restored
		// as it is; otherwise its period restarts (docs/billing.md §8).
		return done, e.restoreIfSettled(ctx, tx, b, done, !b.Canceled())
	}
	return done, e.issueAdvanceIfDue(ctx, tx, b, now)
}

// restoreIfSettled asks for b's restore once it owes no overdue invoice.
func (e *Invoices) restoreIfSettled(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, done *Settlement, restart bool) error {
	settled, err := e.settled(ctx, tx, b)
	if err != nil || !settled {
		return err
	}
	done.Restore, done.Restart = b, restart
	return nil
}

// markPaid is the finalized → paid step, shared by the pay request and
// the payment at finalization.
func markPaid(ctx context.Context, tx *store.Tx, project string, inv *Invoice, now time.Time) error {
	inv.Status, inv.PaidAt = StatusPaid, &now
	if err := setStatus(ctx, tx, inv, now); err != nil {
		return err
	}
	return events.Record(ctx, tx, project, "invoice.paid", inv.ID, inv, now)
}

// Void cancels an unpaid invoice and returns its applied balance. The
// first invoice of a subscription still initiated cannot be voided: end
// the subscription instead. Voiding the overdue invoice of a restricted
// subscription forgives it: the line is restored as it was.
func (e *Invoices) Void(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Settlement, error) {
	inv, b, err := e.lockInvoice(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	switch inv.Status {
	case StatusPaid:
		return nil, errs.Conflict("invoiceAlreadyPaid", "The invoice %s is paid and cannot be voided.", id).
			WithHint("Issue a credit note to refund a paid invoice.")
	case StatusVoided:
		return nil, errs.Conflict("invoiceAlreadyVoided", "The invoice %s is already voided.", id)
	}
	if b != nil && inv.Reason == ReasonSubscriptionCreation && b.Status == subscriptions.StatusInitiated {
		return nil, errs.Conflict("invoiceVoidNotAllowed", "The invoice %s is the first invoice of the initiated subscription %s.", id, inv.Subscription).
			WithHint("End the subscription to void its first invoice.")
	}
	if err := markVoided(ctx, tx, project, inv, now); err != nil {
		return nil, err
	}
	done := &Settlement{Invoice: inv}
	if b != nil && b.Status == subscriptions.StatusRestricted {
		return done, e.restoreIfSettled(ctx, tx, b, done, false)
	}
	return done, nil
}

// markVoided voids an unpaid invoice, gives back the balance it took and
// drops its delinquency timers.
func markVoided(ctx context.Context, tx *store.Tx, project string, inv *Invoice, now time.Time) error {
	if err := returnBalance(ctx, tx, project, inv, now); err != nil {
		return err
	}
	if err := cancelTimers(ctx, tx, inv); err != nil {
		return err
	}
	if err := payments.Cancel(ctx, tx, project, inv.ID, now); err != nil {
		return err
	}
	inv.Status, inv.VoidedAt = StatusVoided, &now
	if err := setStatus(ctx, tx, inv, now); err != nil {
		return err
	}
	return events.Record(ctx, tx, project, "invoice.voided", inv.ID, inv, now)
}

// settled reports whether the subscription has no overdue invoice left
// unpaid.
func (e *Invoices) settled(ctx context.Context, tx *store.Tx, b *subscriptions.Billed) (bool, error) {
	invs, err := subscriptionInvoices(ctx, tx, b.Project, b.ID)
	if err != nil {
		return false, err
	}
	for _, inv := range invs {
		if inv.Status == StatusFinalized && inv.overdueSince != nil {
			return false, nil
		}
	}
	return true, nil
}

// Lock reads an invoice for a change after its subscription, in the lock
// order (docs/concurrency.md); b is nil when the subscription is not
// billed. Payments lock an invoice this way before its payment.
func (e *Invoices) Lock(ctx context.Context, tx *store.Tx, project, id string) (*Invoice, *subscriptions.Billed, error) {
	return e.lockInvoice(ctx, tx, project, id)
}
