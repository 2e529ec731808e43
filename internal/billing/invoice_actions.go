package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Pay marks a finalized invoice paid. Paying the first invoice of an
// initiated subscription requests its activation (docs/billing.md §2).
func (b *Invoices) Pay(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Invoice, error) {
	inv, err := loadInvoice(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	switch inv.Status {
	case StatusPaid:
		return nil, errs.Conflict("invoiceAlreadyPaid", "The invoice %s is already paid.", id)
	case StatusVoided:
		return nil, errs.Conflict("invoiceVoided", "The invoice %s is voided and cannot be paid.", id)
	}
	if err := markPaid(ctx, tx, project, inv, now); err != nil {
		return nil, err
	}
	if inv.Reason == ReasonSubscriptionCreation && b.Activator != nil {
		if err := b.Activator.ActivatePaid(ctx, tx, project, inv.Subscription, now); err != nil {
			return nil, err
		}
	}
	return inv, nil
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

// Void cancels an unpaid invoice. The first invoice of a subscription
// that is still initiated cannot be voided: end the subscription instead,
// which voids it.
func (b *Invoices) Void(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Invoice, error) {
	inv, err := loadInvoice(ctx, tx, project, id)
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
	if inv.Reason == ReasonSubscriptionCreation {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM subscriptions WHERE id = ? AND project_id = ?`, inv.Subscription, project).Scan(&status)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("billing: subscription of %s: %w", id, err)
		}
		if status == subscriptions.StatusInitiated {
			return nil, errs.Conflict("invoiceVoidNotAllowed", "The invoice %s is the first invoice of the initiated subscription %s.", id, inv.Subscription).
				WithHint("End the subscription to void its first invoice.")
		}
	}
	return inv, markVoided(ctx, tx, project, inv, now)
}

func markVoided(ctx context.Context, tx *store.Tx, project string, inv *Invoice, now time.Time) error {
	inv.Status, inv.VoidedAt = StatusVoided, &now
	if err := setStatus(ctx, tx, inv, now); err != nil {
		return err
	}
	return events.Record(ctx, tx, project, "invoice.voided", inv.ID, inv, now)
}

// VoidUnpaid voids the subscription's unpaid invoices: it is ending before
// they were paid.
func (b *Invoices) VoidUnpaid(ctx context.Context, tx *store.Tx, project, subscription string, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE project_id = ? AND subscription_id = ? AND status IN ('draft', 'finalized') ORDER BY id`,
		project, subscription)
	if err != nil {
		return err
	}
	var open []*Invoice
	for rows.Next() {
		inv, err := scanInvoice(rows)
		if err != nil {
			rows.Close()
			return err
		}
		open = append(open, inv)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, inv := range open {
		if err := markVoided(ctx, tx, project, inv, now); err != nil {
			return err
		}
	}
	return nil
}
