package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"cellgate/internal/documents"
	"cellgate/internal/money"
	"cellgate/internal/store"
)

var invoiceColumns = `id, user_id, subscription_id, reason, status, currency, period_number, period_start, period_end, address_id,
	subtotal, discount, tax, total, applied_balance, tax_exemption_reason, line_items, fees, due_at, finalized_at, paid_at,
	voided_at, created_at, overdue_at, warned_at, overdue_since, payment_id, ` + fileTokenColumn

// fileTokenColumn reads the token of the invoice's PDF (docs/payments.md).
var fileTokenColumn = documents.TokenColumn(documents.KindInvoice, "invoices.id")

func insertInvoice(ctx context.Context, tx *store.Tx, project string, inv *Invoice) error {
	lines, err := json.Marshal(inv.LineItems)
	if err != nil {
		return err
	}
	fees, err := json.Marshal(inv.Fees)
	if err != nil {
		return err
	}
	var sum money.Acc
	for _, f := range inv.Fees {
		sum.Add(f.Amount)
	}
	if sum.Err != nil {
		return sum.Err
	}
	feesTotal := sum.Total
	var country, region sql.NullString
	if inv.taxAt != nil {
		country = sql.NullString{String: inv.taxAt.Country, Valid: true}
		region = sql.NullString{String: inv.taxAt.State, Valid: inv.taxAt.State != ""}
	}
	var pStart, pEnd sql.NullInt64
	if inv.Period != nil {
		pStart = sql.NullInt64{Int64: store.Micros(inv.Period.Start), Valid: true}
		pEnd = sql.NullInt64{Int64: store.Micros(inv.Period.End), Valid: true}
	}
	var applied int64
	if inv.AppliedBalance != nil {
		applied = inv.AppliedBalance.Amount
	}
	_, err = tx.Exec(ctx, `INSERT INTO invoices (id, project_id, user_id, subscription_id, reason, status, currency, period_number,
		period_start, period_end, address_id, tax_country, tax_region, subtotal, discount, tax, fees_total, total, applied_balance,
		tax_exemption_reason, line_items, fees, due_at, finalized_at, paid_at, voided_at, created_at, updated_at, overdue_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, project, inv.User, inv.Subscription, inv.Reason, inv.Status, inv.Total.Currency, inv.periodNumber,
		pStart, pEnd, inv.Address, country, region, inv.Subtotal.Amount, inv.Discount.Amount, inv.Tax.Amount, feesTotal,
		inv.Total.Amount, applied, inv.TaxExemptionReason, string(lines), string(fees), store.NullMicros(inv.DueAt),
		store.NullMicros(inv.FinalizedAt), store.NullMicros(inv.PaidAt), store.NullMicros(inv.VoidedAt),
		store.Micros(inv.CreatedAt), store.Micros(inv.CreatedAt), store.NullMicros(inv.overdueAt))
	if err != nil {
		return fmt.Errorf("billing: insert invoice: %w", err)
	}
	return nil
}

// setStatus writes a status change with its timestamps.
func setStatus(ctx context.Context, tx *store.Tx, inv *Invoice, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE invoices SET status = ?, paid_at = ?, voided_at = ?, payment_id = ?, updated_at = ? WHERE id = ?`,
		inv.Status, store.NullMicros(inv.PaidAt), store.NullMicros(inv.VoidedAt), inv.Payment, store.Micros(now), inv.ID)
	if err != nil {
		return fmt.Errorf("billing: update invoice %s: %w", inv.ID, err)
	}
	return nil
}

func scanInvoice(row store.Scanner) (*Invoice, error) {
	var (
		inv                                 Invoice
		currency, lines, fees               string
		pStart, pEnd, due, fin, paid, voids sql.NullInt64
		overdueAt, warned, overdueSince     sql.NullInt64
		address, exemption, payment, file   sql.NullString
		subtotal, discount, tx, total, bal  int64
		created                             int64
	)
	err := row.Scan(&inv.ID, &inv.User, &inv.Subscription, &inv.Reason, &inv.Status, &currency, &inv.periodNumber, &pStart, &pEnd,
		&address, &subtotal, &discount, &tx, &total, &bal, &exemption, &lines, &fees, &due, &fin, &paid, &voids, &created,
		&overdueAt, &warned, &overdueSince, &payment, &file)
	if err != nil {
		return nil, err
	}
	price := func(v int64) money.Price { return money.Price{Amount: v, Currency: currency} }
	inv.Object, inv.CreatedAt = "invoice", store.Time(created)
	inv.Subtotal, inv.Discount, inv.Tax, inv.Total = price(subtotal), price(discount), price(tx), price(total)
	if bal > 0 {
		p := price(bal)
		inv.AppliedBalance = &p
	}
	if address.Valid {
		inv.Address = &address.String
	}
	if exemption.Valid {
		inv.TaxExemptionReason = &exemption.String
	}
	if payment.Valid {
		inv.Payment = &payment.String
	}
	inv.FileURL = documents.URL(file)
	if pStart.Valid && pEnd.Valid {
		inv.Period = &InvoicePeriod{Number: inv.periodNumber, Start: store.Time(pStart.Int64), End: store.Time(pEnd.Int64)}
	}
	inv.DueAt, inv.FinalizedAt, inv.PaidAt, inv.VoidedAt = store.NullTime(due), store.NullTime(fin), store.NullTime(paid), store.NullTime(voids)
	inv.overdueAt, inv.warnedAt, inv.overdueSince = store.NullTime(overdueAt), store.NullTime(warned), store.NullTime(overdueSince)
	return &inv, decodeDocuments(inv.ID, lines, fees, &inv.LineItems, &inv.Fees)
}

// loadInvoice reads one invoice for a change, locked in a write
// transaction: its subscription, if it has one, must be locked already.
func loadInvoice(ctx context.Context, q store.Querier, project, id string) (*Invoice, error) {
	return loadRow(ctx, q, scanInvoice, "invoices", invoiceColumns, "invoice", project, id, store.LockInTx(q))
}

// GetInvoice reads one invoice of the project, without locking it.
func GetInvoice(ctx context.Context, q store.Querier, project, id string) (*Invoice, error) {
	return loadRow(ctx, q, scanInvoice, "invoices", invoiceColumns, "invoice", project, id, "")
}

// InvoiceFilter narrows an invoice list; empty fields do not filter.
type InvoiceFilter struct {
	Subscription, Reason, Status, User string
}

// ListInvoices pages through the project's invoices, newest first.
func ListInvoices(ctx context.Context, q store.Querier, project string, f InvoiceFilter, p store.Page) (store.PageOf[*Invoice], error) {
	lq := &store.ListQuery{Select: `SELECT ` + invoiceColumns + ` FROM invoices`}
	lq.Where("project_id = ?", project)
	for _, c := range []struct{ col, v string }{{"subscription_id", f.Subscription}, {"reason", f.Reason}, {"status", f.Status}, {"user_id", f.User}} {
		if c.v != "" {
			lq.Where(c.col+" = ?", c.v)
		}
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Invoice, string, error) {
		inv, err := scanInvoice(rows)
		if err != nil {
			return nil, "", err
		}
		return inv, inv.ID, nil
	})
}

// setDelinquency writes when the invoice was warned and became overdue.
func setDelinquency(ctx context.Context, tx *store.Tx, inv *Invoice, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE invoices SET warned_at = ?, overdue_since = ?, updated_at = ? WHERE id = ?`,
		store.NullMicros(inv.warnedAt), store.NullMicros(inv.overdueSince), store.Micros(now), inv.ID)
	if err != nil {
		return fmt.Errorf("billing: update invoice %s: %w", inv.ID, err)
	}
	return nil
}

// subscriptionInvoices reads a subscription's period invoices (not the
// add-on and plan-change ones, reason other) that are not voided, oldest
// first, locked in a write transaction.
func subscriptionInvoices(ctx context.Context, tx *store.Tx, project, subscription string) ([]*Invoice, error) {
	return store.All(ctx, tx, scanInvoice, `SELECT `+invoiceColumns+` FROM invoices WHERE subscription_id = ? AND project_id = ?
		AND status <> 'voided' AND reason <> 'other' ORDER BY period_number, id`+store.LockInTx(tx), subscription, project)
}

// invoiceState is the part of an invoice the renewal check reads.
type invoiceState struct {
	id           string
	periodNumber int
	status       string
	overdueAt    *time.Time
}

// subscriptionInvoiceStates reads the state of a subscription's period
// invoices that are not voided, locked in a write transaction. It skips the line
// items, which the renewal of every subscription would otherwise decode.
func subscriptionInvoiceStates(ctx context.Context, tx *store.Tx, project, subscription string) ([]invoiceState, error) {
	return store.All(ctx, tx, func(row store.Scanner) (invoiceState, error) {
		var (
			st        invoiceState
			overdueAt sql.NullInt64
		)
		err := row.Scan(&st.id, &st.periodNumber, &st.status, &overdueAt)
		st.overdueAt = store.NullTime(overdueAt)
		return st, err
	}, `SELECT id, period_number, status, overdue_at FROM invoices WHERE subscription_id = ? AND project_id = ?
		AND status <> 'voided' AND reason <> 'other' ORDER BY period_number, id`+store.LockInTx(tx), subscription, project)
}
