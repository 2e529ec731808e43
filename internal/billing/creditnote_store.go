package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/memo"
	"cellgate/internal/money"
	"cellgate/internal/store"
)

const creditNoteColumns = `id, invoice_id, user_id, credit_to, status, currency, subtotal, tax, total, line_items, fees, created_at, voided_at`

func insertCreditNote(ctx context.Context, tx *store.Tx, project string, n *CreditNote, currency, origin string) error {
	lines, err := json.Marshal(n.LineItems)
	if err != nil {
		return err
	}
	fees, err := json.Marshal(n.Fees)
	if err != nil {
		return err
	}
	feesTotal := n.Total.Amount - n.Subtotal.Amount - n.Tax.Amount
	_, err = tx.Exec(ctx, `INSERT INTO credit_notes (id, project_id, invoice_id, user_id, credit_to, status, origin, currency,
		subtotal, tax, fees_total, total, line_items, fees, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, project, n.Invoice, n.user, n.CreditTo, n.Status, origin, currency, n.Subtotal.Amount, n.Tax.Amount, feesTotal,
		n.Total.Amount, string(lines), string(fees), store.Micros(n.CreatedAt))
	if err != nil {
		return fmt.Errorf("billing: insert credit note: %w", err)
	}
	return nil
}

func setCreditNoteVoided(ctx context.Context, tx *store.Tx, n *CreditNote) error {
	_, err := tx.Exec(ctx, `UPDATE credit_notes SET status = ?, voided_at = ? WHERE id = ?`, n.Status, store.NullMicros(n.VoidedAt), n.ID)
	if err != nil {
		return fmt.Errorf("billing: void credit note %s: %w", n.ID, err)
	}
	return nil
}

func scanCreditNote(row store.Scanner) (*CreditNote, error) {
	var (
		n                    CreditNote
		currency, lines, fee string
		sub, tax, total      int64
		created              int64
		voided               sql.NullInt64
	)
	err := row.Scan(&n.ID, &n.Invoice, &n.user, &n.CreditTo, &n.Status, &currency, &sub, &tax, &total, &lines, &fee, &created, &voided)
	if err != nil {
		return nil, err
	}
	n.Object, n.CreatedAt, n.VoidedAt = "creditNote", store.Time(created), store.NullTime(voided)
	n.Subtotal = money.Price{Amount: sub, Currency: currency}
	n.Tax = money.Price{Amount: tax, Currency: currency}
	n.Total = money.Price{Amount: total, Currency: currency}
	return &n, decodeDocuments(n.ID, lines, fee, &n.LineItems, &n.Fees)
}

// loadCreditNote reads one credit note for a change, locked in a write
// transaction.
func loadCreditNote(ctx context.Context, q store.Querier, project, id string) (*CreditNote, error) {
	return loadRow(ctx, q, scanCreditNote, "credit_notes", creditNoteColumns, "creditNote", project, id, store.LockInTx(q))
}

// GetCreditNote reads one credit note of the project, without locking it.
func GetCreditNote(ctx context.Context, q store.Querier, project, id string) (*CreditNote, error) {
	return loadRow(ctx, q, scanCreditNote, "credit_notes", creditNoteColumns, "creditNote", project, id, "")
}

// ListCreditNotes pages through the project's credit notes, newest first;
// a non-empty invoice keeps only that invoice's.
func ListCreditNotes(ctx context.Context, q store.Querier, project, invoice string, p store.Page) (store.PageOf[*CreditNote], error) {
	lq := &store.ListQuery{Select: `SELECT ` + creditNoteColumns + ` FROM credit_notes`}
	lq.Where("project_id = ?", project)
	if invoice != "" {
		lq.Where("invoice_id = ?", invoice)
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*CreditNote, string, error) {
		n, err := scanCreditNote(rows)
		if err != nil {
			return nil, "", err
		}
		return n, n.ID, nil
	})
}

// issuedCreditNotes reads the credit notes of an invoice that still count.
func issuedCreditNotes(ctx context.Context, tx *store.Tx, invoice string) ([]*CreditNote, error) {
	notes, err := store.All(ctx, tx, scanCreditNote, `SELECT `+creditNoteColumns+` FROM credit_notes WHERE invoice_id = ? AND status = ?`,
		invoice, CreditIssued)
	if err != nil {
		return nil, fmt.Errorf("billing: credit notes of %s: %w", invoice, err)
	}
	return notes, nil
}

// moveBalance adds a signed amount to the user's balance and records the
// entry that explains it. A balance that would go negative is refused:
// it was already applied to invoices.
func moveBalance(ctx context.Context, tx *store.Tx, project, user, currency string, amount int64, source, sourceID string, now time.Time) error {
	var have int64
	err := tx.QueryRow(ctx, `SELECT amount FROM user_balances WHERE user_id = ? AND currency = ?`+tx.Dialect().ForUpdate(), user, currency).Scan(&have)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("billing: balance of %s: %w", user, err)
	}
	if held, ok := memo.Lookup[*bool](ctx, tx, balancesKey(project)); ok && amount > 0 {
		*held = true
	}
	if have+amount < 0 {
		return errs.Conflict("creditNoteBalanceSpent", "The user %s holds %d %s; the credit note needs %d back: the balance was already applied to invoices.",
			user, have, currency, -amount)
	}
	if err == nil {
		_, err = tx.Exec(ctx, `UPDATE user_balances SET amount = amount + ?, updated_at = ? WHERE user_id = ? AND currency = ?`,
			amount, store.Micros(now), user, currency)
	} else {
		// Only credits reach here (have = 0); the upsert covers a first
		// credit of the same user committed meanwhile.
		_, err = tx.Exec(ctx, `INSERT INTO user_balances (project_id, user_id, currency, amount, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id, currency) DO UPDATE SET amount = user_balances.amount + excluded.amount, updated_at = excluded.updated_at`,
			project, user, currency, amount, store.Micros(now))
	}
	if err != nil {
		return fmt.Errorf("billing: update balance of %s: %w", user, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO balance_entries (project_id, user_id, currency, amount, source_type, source_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, project, user, currency, amount, source, sourceID, store.Micros(now))
	if err != nil {
		return fmt.Errorf("billing: balance entry %s %s: %w", source, sourceID, err)
	}
	return nil
}
