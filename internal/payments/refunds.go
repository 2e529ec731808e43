package payments

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/outbound"
	"cellgate/internal/store"
)

// RefundPrefix is the id prefix of refunds (cellgate's own: the reference
// has no refund object).
const RefundPrefix = "ref"

// RefundInput is the body of POST /payments/{id}/refund: no amount
// refunds everything not refunded yet.
type RefundInput struct {
	Amount *int64 `json:"amount"`
}

// RefundAmount checks a refund of p: only a succeeded payment is
// refunded, and never more than was paid and not refunded yet.
func RefundAmount(p *Payment, in RefundInput) (int64, error) {
	if p.Status != StatusSucceeded {
		return 0, errs.Conflict("paymentNotRefundable", "The payment %s is %s; only succeeded payments are refunded.", p.ID, p.Status)
	}
	left := p.Amount.Amount - p.Refunded.Amount
	if in.Amount == nil {
		if left == 0 {
			return 0, errs.Invalid("paymentRefundAmountExceeded", "The payment %s is refunded in full already.", p.ID)
		}
		return left, nil
	}
	if err := money.CheckAmount("amount", *in.Amount); err != nil {
		return 0, err
	}
	if *in.Amount == 0 {
		return 0, errs.Invalid("fieldInvalid", "amount must be above 0.")
	}
	if *in.Amount > left {
		return 0, errs.Invalid("paymentRefundAmountExceeded", "The refund of %d is more than the %d not yet refunded on the payment %s.",
			*in.Amount, left, p.ID)
	}
	return *in.Amount, nil
}

// refundPayload is the payload of a refund operation.
type refundPayload struct {
	Refund    string `json:"refund"`
	Payment   string `json:"payment"`
	ChargeRef string `json:"chargeRef"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
}

// StartRefund records a refund of amount, documented by the credit note,
// and the call that gives the money back. refunded counts it at once, so
// that refunds racing each other can never together exceed the payment
// (the caller holds the payment's lock).
func StartRefund(ctx context.Context, tx *store.Tx, project string, p *Payment, amount int64, creditNote string, now time.Time) (*Payment, error) {
	set, err := GetSettings(ctx, tx, project)
	if err != nil {
		return nil, err
	}
	if !set.Enabled() {
		return nil, errs.Conflict("paymentProviderMissing", "The project has no payment provider to refund through.")
	}
	id := ids.New(RefundPrefix)
	if _, err := tx.Exec(ctx, `INSERT INTO payment_refunds (id, project_id, payment_id, amount, credit_note_id, status, created_at)
		VALUES (?, ?, ?, ?, ?, 'pending', ?)`, id, project, p.ID, amount, creditNote, store.Micros(now)); err != nil {
		return nil, fmt.Errorf("payments: refund of %s: %w", p.ID, err)
	}
	p.Refunded.Amount += amount
	if err := save(ctx, tx, p, now); err != nil {
		return nil, err
	}
	ref := ""
	if p.InvoiceNumber != nil {
		ref = *p.InvoiceNumber
	}
	_, err = outbound.Enqueue(ctx, tx, outbound.Request{Project: project, Kind: KindRefund, Subject: p.ID, Target: *set.Provider,
		Payload: refundPayload{Refund: id, Payment: p.ID, ChargeRef: ref, Amount: amount, Currency: p.Amount.Currency}, DueAt: now})
	if err != nil {
		return nil, err
	}
	return p, recordEvent(ctx, tx, project, "payment.refunded", p, now)
}

// PerformRefund gives the money back at the provider.
func (ps *Providers) PerformRefund(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	var in refundPayload
	if err := op.Decode(&in); err != nil {
		return nil, outbound.PermanentError(err)
	}
	prov, _, err := ps.For(ctx, op.Project, op.Target)
	if err != nil {
		return nil, err
	}
	return prov.Refund(ctx, RefundRequest{Key: op.IdempotencyKey(), Project: op.Project, ChargeRef: in.ChargeRef, Amount: in.Amount, Currency: in.Currency, Now: now})
}

// ApplyRefund records that the provider gave the money back.
func ApplyRefund(ctx context.Context, tx *store.Tx, op outbound.Operation, raw json.RawMessage, now time.Time) error {
	var in refundPayload
	if err := op.Decode(&in); err != nil {
		return err
	}
	var res RefundResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE payment_refunds SET status = 'succeeded' WHERE id = ?`, in.Refund)
	return err
}

// DisputedInvoice is the invoice a dispute check's payment collected.
func DisputedInvoice(ctx context.Context, q store.Querier, op outbound.Operation) (string, error) {
	var in disputePayload
	if err := op.Decode(&in); err != nil {
		return "", err
	}
	p, err := Get(ctx, q, op.Project, in.Payment)
	if err != nil {
		return "", err
	}
	return p.Invoice, nil
}
