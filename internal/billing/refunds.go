package billing

import (
	"context"
	"time"

	"cellgate/internal/payments"
	"cellgate/internal/store"
)

// RefundPayment refunds all or part of a succeeded payment: the credit
// note that records it is issued on the paid invoice and the provider
// gives the money back after commit (docs/payments.md). Locks:
// subscription, invoice, payment, as every payment path.
func (e *Invoices) RefundPayment(ctx context.Context, tx *store.Tx, project, id string, in payments.RefundInput, now time.Time) (*payments.Payment, error) {
	p, err := payments.Get(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if _, _, err := e.lockInvoice(ctx, tx, project, p.Invoice); err != nil {
		return nil, err
	}
	if p, err = payments.Lock(ctx, tx, project, id); err != nil {
		return nil, err
	}
	amount, err := payments.RefundAmount(p, in)
	if err != nil {
		return nil, err
	}
	note, err := CreditRefund(ctx, tx, project, p.Invoice, amount, now)
	if err != nil {
		return nil, err
	}
	return payments.StartRefund(ctx, tx, project, p, amount, note.ID, now)
}
