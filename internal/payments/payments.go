package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/documents"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/money"
	"cellgate/internal/store"
)

// Prefix is the id prefix of payments (reference §3.6).
const Prefix = "pay"

// Payment statuses (docs/payments.md): pending while a charge is due or
// in flight, failed after a declined attempt (a retry may follow),
// succeeded, canceled when the invoice was settled another way.
const (
	StatusPending   = "pending"
	StatusFailed    = "failed"
	StatusSucceeded = "succeeded"
	StatusCanceled  = "canceled"
)

// Statuses is the enum of the list filter.
var Statuses = []string{StatusPending, StatusFailed, StatusSucceeded, StatusCanceled}

// Events of payments: the reference's three, and cellgate's names for a
// success and a refund, and for a dispute the user lost to the merchant's
// favour (docs/payments.md).
func init() {
	events.Register("payment.succeeded", "payment.failed", "payment.refunded", "payment.disputed", "payment.disputeLost",
		"payment.disputeWon")
}

// Payment is the API representation (reference §3.6).
type Payment struct {
	Object          string      `json:"object"`
	ID              string      `json:"id"`
	Amount          money.Price `json:"amount"`
	AttemptedAt     *time.Time  `json:"attemptedAt"`
	CreatedAt       time.Time   `json:"createdAt"`
	Discount        money.Price `json:"discount"`
	DisputeClosedAt *time.Time  `json:"disputeClosedAt"`
	DisputeOutcome  string      `json:"disputeOutcome"`
	FailedAttempts  int         `json:"failedAttempts"`
	FailureCode     *string     `json:"failureCode"`
	FailureMessage  *string     `json:"failureMessage"`
	Invoice         string      `json:"invoice"`
	InvoiceNumber   *string     `json:"invoiceNumber"`
	Method          *string     `json:"method"`
	Reason          string      `json:"reason"`
	Receipt         *string     `json:"receipt"`
	References      []string    `json:"references"`
	Refunded        money.Price `json:"refunded"`
	Status          string      `json:"status"`
	User            string      `json:"user"`
	dispute         string
	firstFailedAt   *time.Time
}

var paymentColumns = `id, invoice_id, user_id, reason, status, currency, amount, discount, method_id, charge_ref, failed_attempts,
	failure_code, failure_message, first_failed_at, attempted_at, refunded, dispute_status, dispute_closed_at, created_at, ` +
	documents.TokenColumn(documents.KindReceipt, "payments.id")

func scanPayment(row store.Scanner) (*Payment, error) {
	var (
		p                                       Payment
		currency                                string
		amount, discount, refunded, created     int64
		method, charge, code, msg, dispute      sql.NullString
		receipt                                 sql.NullString
		firstFailed, attempted, disputeClosedAt sql.NullInt64
	)
	err := row.Scan(&p.ID, &p.Invoice, &p.User, &p.Reason, &p.Status, &currency, &amount, &discount, &method, &charge,
		&p.FailedAttempts, &code, &msg, &firstFailed, &attempted, &refunded, &dispute, &disputeClosedAt, &created, &receipt)
	if err != nil {
		return nil, err
	}
	price := func(v int64) money.Price { return money.Price{Amount: v, Currency: currency} }
	p.Object, p.CreatedAt = "payment", store.Time(created)
	p.Amount, p.Discount, p.Refunded = price(amount), price(discount), price(refunded)
	p.Method, p.InvoiceNumber = nullString(method), nullString(charge)
	p.FailureCode, p.FailureMessage = nullString(code), nullString(msg)
	p.firstFailedAt, p.AttemptedAt, p.DisputeClosedAt = store.NullTime(firstFailed), store.NullTime(attempted), store.NullTime(disputeClosedAt)
	p.dispute = dispute.String
	p.Receipt = documents.URL(receipt)
	if p.dispute == DisputeLost || p.dispute == DisputeWon {
		p.DisputeOutcome = p.dispute
	}
	p.References = []string{}
	if charge.Valid {
		p.References = append(p.References, charge.String)
	}
	return &p, nil
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func loadPayment(ctx context.Context, q store.Querier, project, id, lock string) (*Payment, error) {
	p, err := scanPayment(q.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ? AND project_id = ?`+lock, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("payment", id)
	}
	if err != nil {
		return nil, fmt.Errorf("payments: payment %s: %w", id, err)
	}
	return p, nil
}

// Get reads a payment without locking it.
func Get(ctx context.Context, q store.Querier, project, id string) (*Payment, error) {
	return loadPayment(ctx, q, project, id, "")
}

// Lock reads a payment for a change. In the lock order it comes after its
// invoice (docs/concurrency.md): lock the invoice first.
func Lock(ctx context.Context, tx *store.Tx, project, id string) (*Payment, error) {
	return loadPayment(ctx, tx, project, id, store.LockInTx(tx))
}

// OfInvoice reads the payment collecting an invoice, locked; nil when the
// invoice has none.
func OfInvoice(ctx context.Context, tx *store.Tx, project, invoice string) (*Payment, error) {
	p, err := scanPayment(tx.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE invoice_id = ? AND project_id = ?`+store.LockInTx(tx), invoice, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return p, err
}

// Filter narrows a payment list; empty fields do not filter.
type Filter struct{ Invoice, User, Status string }

// List pages through the project's payments, newest first.
func List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page) (store.PageOf[*Payment], error) {
	lq := &store.ListQuery{Select: `SELECT ` + paymentColumns + ` FROM payments`}
	lq.Where("project_id = ?", project)
	for _, c := range []struct{ col, v string }{{"invoice_id", f.Invoice}, {"user_id", f.User}, {"status", f.Status}} {
		if c.v != "" {
			lq.Where(c.col+" = ?", c.v)
		}
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Payment, string, error) {
		pay, err := scanPayment(rows)
		if err != nil {
			return nil, "", err
		}
		return pay, pay.ID, nil
	})
}

// save writes a payment's changing fields.
func save(ctx context.Context, tx *store.Tx, p *Payment, now time.Time) error {
	var code, msg, charge, dispute sql.NullString
	if p.FailureCode != nil {
		code = sql.NullString{String: *p.FailureCode, Valid: true}
	}
	if p.FailureMessage != nil {
		msg = sql.NullString{String: *p.FailureMessage, Valid: true}
	}
	if p.InvoiceNumber != nil {
		charge = sql.NullString{String: *p.InvoiceNumber, Valid: true}
	}
	if p.dispute != "" {
		dispute = sql.NullString{String: p.dispute, Valid: true}
	}
	_, err := tx.Exec(ctx, `UPDATE payments SET status = ?, method_id = ?, charge_ref = ?, failed_attempts = ?, failure_code = ?,
		failure_message = ?, first_failed_at = ?, attempted_at = ?, refunded = ?, dispute_status = ?, dispute_closed_at = ?, updated_at = ?
		WHERE id = ?`, p.Status, p.Method, charge, p.FailedAttempts, code, msg, store.NullMicros(p.firstFailedAt),
		store.NullMicros(p.AttemptedAt), p.Refunded.Amount, dispute, store.NullMicros(p.DisputeClosedAt), store.Micros(now), p.ID)
	if err != nil {
		return fmt.Errorf("payments: update %s: %w", p.ID, err)
	}
	return nil
}

func recordEvent(ctx context.Context, tx *store.Tx, project, typ string, p *Payment, now time.Time) error {
	return events.Record(ctx, tx, project, typ, p.ID, p, now)
}
