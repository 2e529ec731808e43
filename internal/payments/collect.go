package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/documents"
	"cellgate/internal/email"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/outbound"
	"cellgate/internal/store"
)

// Operation kinds of payments; package lines registers how each runs.
const (
	KindCharge  = "payment.charge"
	KindRefund  = "payment.refund"
	KindDispute = "payment.dispute"
)

// Invoice is what collection needs of a finalized invoice.
type Invoice struct {
	Project, ID, User, Reason string
	// Due is what the user owes once the balance is applied; Discount is
	// the invoice's discount.
	Due, Discount money.Price
}

// ChargePayload is the payload of a charge operation. The method is
// chosen when the charge is decided, so that every attempt of one
// operation sends the provider the same request.
type ChargePayload struct {
	Payment   string `json:"payment"`
	Method    string `json:"method,omitempty"`
	MethodRef string `json:"methodRef,omitempty"`
	Customer  string `json:"customer,omitempty"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Invoice   string `json:"invoice"`
}

// Collect starts collecting a finalized invoice when the project has a
// payment provider: the payment is created and its first charge recorded
// as an operation, made once tx commits. It reports false, changing
// nothing, when the project has no provider.
func Collect(ctx context.Context, tx *store.Tx, inv Invoice, now time.Time) (bool, error) {
	set, err := GetSettings(ctx, tx, inv.Project)
	if err != nil || !set.Enabled() {
		return false, err
	}
	id := ids.New(Prefix)
	_, err = tx.Exec(ctx, `INSERT INTO payments (id, project_id, invoice_id, user_id, reason, status, currency, amount, discount, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`, id, inv.Project, inv.ID, inv.User, inv.Reason, inv.Due.Currency,
		inv.Due.Amount, inv.Discount.Amount, store.Micros(now), store.Micros(now))
	if err != nil {
		return false, fmt.Errorf("payments: create payment for %s: %w", inv.ID, err)
	}
	p, err := Lock(ctx, tx, inv.Project, id)
	if err != nil {
		return false, err
	}
	return true, enqueueCharge(ctx, tx, inv.Project, *set.Provider, p, now)
}

// enqueueCharge records the next charge of p, due at, on the user's
// default method as it is now (none: the attempt fails without a call).
func enqueueCharge(ctx context.Context, tx *store.Tx, project, provider string, p *Payment, at time.Time) error {
	payload := ChargePayload{Payment: p.ID, Amount: p.Amount.Amount, Currency: p.Amount.Currency, Invoice: p.Invoice}
	m, err := defaultMethod(ctx, tx, project, p.User)
	if err != nil {
		return err
	}
	if m != nil && m.Provider == provider {
		payload.Method, payload.MethodRef = m.ID, m.ref
		if payload.Customer, err = CustomerRef(ctx, tx, project, p.User, provider); err != nil {
			return err
		}
	}
	_, err = outbound.Enqueue(ctx, tx, outbound.Request{Project: project, Kind: KindCharge, Subject: p.ID, Target: provider,
		Payload: payload, DueAt: at})
	return err
}

// Succeeded records a charge that went through.
func Succeeded(ctx context.Context, tx *store.Tx, project string, p *Payment, op outbound.Operation, res ChargeResult, now time.Time) error {
	var in ChargePayload
	if err := op.Decode(&in); err != nil {
		return err
	}
	p.Status, p.AttemptedAt, p.InvoiceNumber = StatusSucceeded, &now, &res.Ref
	p.FailureCode, p.FailureMessage = nil, nil
	p.Method = &in.Method
	p.References = []string{res.Ref}
	if err := save(ctx, tx, p, now); err != nil {
		return err
	}
	receipt, err := documents.Issue(ctx, tx, project, documents.KindReceipt, p.ID, now)
	if err != nil {
		return err
	}
	p.Receipt = documents.URL(sql.NullString{String: receipt, Valid: true})
	if res.CheckDisputeAt != nil {
		if err := enqueueDisputeCheck(ctx, tx, project, op.Target, p, *res.CheckDisputeAt); err != nil {
			return err
		}
	}
	return events.Record(ctx, tx, project, "payment.succeeded", p.ID, p, now)
}

// Declined records a failed attempt with payment.failed and plans the
// next retry on the project's schedule, counted from the first failure.
// It reports whether the retries are exhausted: then the invoice's
// delinquency settings decide what follows.
func Declined(ctx context.Context, tx *store.Tx, project string, p *Payment, op outbound.Operation, res ChargeResult, now time.Time) (bool, error) {
	var in ChargePayload
	if err := op.Decode(&in); err != nil {
		return false, err
	}
	p.Status, p.AttemptedAt = StatusFailed, &now
	p.FailedAttempts++
	p.FailureCode, p.FailureMessage = &res.Code, &res.Message
	if in.Method != "" {
		p.Method = &in.Method
	}
	if p.firstFailedAt == nil {
		p.firstFailedAt = &now
	}
	if err := save(ctx, tx, p, now); err != nil {
		return false, err
	}
	if err := events.Record(ctx, tx, project, "payment.failed", p.ID, p, now); err != nil {
		return false, err
	}
	// A new payment method may already have queued the next charge.
	if queued, err := chargeQueued(ctx, tx, p.ID, op.ID); err != nil || queued {
		return false, err
	}
	set, err := GetSettings(ctx, tx, project)
	if err != nil {
		return false, err
	}
	retry := p.FailedAttempts - 1
	if !set.Enabled() || retry >= len(set.RetryScheduleDays) {
		return true, notifyFailed(ctx, tx, project, p, nil, now)
	}
	next := p.firstFailedAt.Add(time.Duration(set.RetryScheduleDays[retry]) * 24 * time.Hour)
	if err := notifyFailed(ctx, tx, project, p, &next, now); err != nil {
		return false, err
	}
	return false, enqueueCharge(ctx, tx, project, *set.Provider, p, next)
}

// notifyFailed tells the user by email that a charge was declined, why,
// and when it is tried again (next; nil after the last retry), through
// the outbox in the deciding transaction (seed 000: the user is notified
// of a failed payment). A user without a stored address (deleted) gets
// none. The user row is read without a lock: payments come before users
// in the lock order only through a new method (docs/payments.md).
func notifyFailed(ctx context.Context, tx *store.Tx, project string, p *Payment, next *time.Time, now time.Time) error {
	var to string
	err := tx.QueryRow(ctx, `SELECT email FROM users WHERE id = ? AND project_id = ? AND status <> 'deleted'`, p.User, project).Scan(&to)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("payments: address of %s: %w", p.User, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "We could not collect your payment of %s for invoice %s.\n", money.Format(p.Amount.Amount, p.Amount.Currency), p.Invoice)
	if p.FailureMessage != nil && *p.FailureMessage != "" {
		fmt.Fprintf(&b, "Reason: %s\n", *p.FailureMessage)
	}
	if next != nil {
		fmt.Fprintf(&b, "We will try again on %s. ", next.UTC().Format("January 2, 2006"))
	} else {
		b.WriteString("This was the last attempt; the invoice is now overdue. ")
	}
	b.WriteString("Adding a new payment method collects the payment at once.\n")
	_, err = email.Send(ctx, tx, project, to, "Your payment failed", b.String(), now)
	return err
}

// chargeQueued reports whether a charge of the payment other than op is
// waiting.
func chargeQueued(ctx context.Context, tx *store.Tx, payment, op string) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM operations WHERE subject = ? AND kind = ? AND status = 'pending' AND id <> ?`,
		payment, KindCharge, op).Scan(&n)
	return n > 0, err
}

// CollectNow charges at once every payment of the user still failing,
// on the user's new default method (seed 000: "When the payment method is
// updated, ... immediately begin its process to collect all outstanding
// payments"). Their scheduled retries are dropped; the retry schedule
// goes on from their first failure if this charge fails too.
func CollectNow(ctx context.Context, tx *store.Tx, project, user string, now time.Time) error {
	set, err := GetSettings(ctx, tx, project)
	if err != nil || !set.Enabled() {
		return err
	}
	failing, err := store.All(ctx, tx, store.ScanString, `SELECT p.id FROM payments p JOIN invoices i ON i.id = p.invoice_id
		WHERE p.project_id = ? AND p.user_id = ? AND p.status = 'failed' AND i.status = 'finalized' ORDER BY p.id`, project, user)
	if err != nil {
		return err
	}
	for _, id := range failing {
		p, err := Lock(ctx, tx, project, id)
		if err != nil {
			return err
		}
		if err := outbound.Cancel(ctx, tx, KindCharge, id, now); err != nil {
			return err
		}
		p.Status = StatusPending
		if err := save(ctx, tx, p, now); err != nil {
			return err
		}
		if err := enqueueCharge(ctx, tx, project, *set.Provider, p, now); err != nil {
			return err
		}
	}
	return nil
}

// Cancel stops collecting an invoice that was paid or voided another way:
// its waiting charges are dropped. A charge already in flight finds the
// payment canceled when it comes back (docs/payments.md).
func Cancel(ctx context.Context, tx *store.Tx, project, invoice string, now time.Time) error {
	p, err := OfInvoice(ctx, tx, project, invoice)
	if err != nil || p == nil || (p.Status != StatusPending && p.Status != StatusFailed) {
		return err
	}
	if err := outbound.Cancel(ctx, tx, KindCharge, p.ID, now); err != nil {
		return err
	}
	p.Status = StatusCanceled
	return save(ctx, tx, p, now)
}
