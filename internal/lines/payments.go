package lines

import (
	"context"
	"encoding/json"
	"time"

	"cellgate/internal/outbound"
	"cellgate/internal/payments"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// PaymentOperations are the payment calls: the provider makes them
// (package payments), and their outcomes move invoices and subscriptions
// here (docs/payments.md).
func (s *Service) PaymentOperations(ps *payments.Providers) outbound.Kinds {
	return outbound.Kinds{
		payments.KindCharge:  {Perform: ps.PerformCharge, Apply: s.applyCharge},
		payments.KindDispute: {Perform: ps.PerformDispute, Apply: s.applyDispute},
		payments.KindRefund:  {Perform: ps.PerformRefund, Apply: payments.ApplyRefund},
	}
}

// applyCharge records a charge's outcome. Success pays the invoice, and
// the subscription follows as for any payment; a decline plans the next
// retry, and after the last one the delinquency settings decide, with
// the cause paymentFailed. Locks: subscription, invoice, payment.
func (s *Service) applyCharge(ctx context.Context, tx *store.Tx, op outbound.Operation, raw json.RawMessage, now time.Time) error {
	res, err := payments.ChargeOutcome(raw)
	if err != nil || res.Skipped() {
		return err
	}
	var in payments.ChargePayload
	if err := op.Decode(&in); err != nil {
		return err
	}
	if _, _, err := s.Billing.Lock(ctx, tx, op.Project, in.Invoice); err != nil {
		return err
	}
	p, err := payments.Lock(ctx, tx, op.Project, in.Payment)
	if err != nil || (p.Status != payments.StatusPending && p.Status != payments.StatusFailed) {
		return err // settled another way meanwhile (docs/payments.md)
	}
	if res.Status == payments.ChargeSucceeded {
		if err := payments.Succeeded(ctx, tx, op.Project, p, op, res, now); err != nil {
			return err
		}
		done, err := s.Billing.Pay(ctx, tx, op.Project, in.Invoice, p.ID, now)
		if err != nil {
			return err
		}
		return s.follow(ctx, tx, op.Project, done, now)
	}
	exhausted, err := payments.Declined(ctx, tx, op.Project, p, op, res, now)
	if err != nil || !exhausted {
		return err
	}
	return s.overdue(ctx, tx, op.Project, in.Invoice, subscriptions.CausePaymentFailed, now)
}

// applyDispute records a dispute's news; a lost dispute ends the
// subscription the payment paid for, with the cause paymentDisputed.
func (s *Service) applyDispute(ctx context.Context, tx *store.Tx, op outbound.Operation, raw json.RawMessage, now time.Time) error {
	invoice, err := payments.DisputedInvoice(ctx, tx, op)
	if err != nil {
		return err
	}
	// Lock order: subscription, invoice, then the payment.
	inv, _, err := s.Billing.Lock(ctx, tx, op.Project, invoice)
	if err != nil {
		return err
	}
	_, lost, err := payments.ApplyDispute(ctx, tx, op, raw, now)
	if err != nil || !lost {
		return err
	}
	ended, err := s.Subscriptions.EndFor(ctx, tx, op.Project, inv.Subscription, subscriptions.CausePaymentDisputed, now)
	return s.ended(ctx, tx, ended, now, err)
}
