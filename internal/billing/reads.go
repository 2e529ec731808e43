package billing

import (
	"context"
	"database/sql"
	"time"

	"cellgate/internal/money"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

const quoteColumns = `id, user_id, address_id, reason, currency, subtotal, discount, tax, total, tax_exemption_reason, line_items, fees,
	created_at, expired_at, voucher_id`

func scanQuote(row store.Scanner) (*Quote, error) {
	var (
		q                            Quote
		currency, lines, fees        string
		address, exemption, voucher  sql.NullString
		subtotal, discount, tax, tot int64
		created, expired             int64
	)
	err := row.Scan(&q.ID, &q.User, &address, &q.Reason, &currency, &subtotal, &discount, &tax, &tot, &exemption, &lines, &fees,
		&created, &expired, &voucher)
	if err != nil {
		return nil, err
	}
	price := func(v int64) money.Price { return money.Price{Amount: v, Currency: currency} }
	q.Object, q.CreatedAt, q.ExpiredAt = "quote", store.Time(created), store.Time(expired)
	q.Subtotal, q.Discount, q.Tax, q.Total = price(subtotal), price(discount), price(tax), price(tot)
	if address.Valid {
		q.Address = &address.String
	}
	if exemption.Valid {
		q.TaxExemptionReason = &exemption.String
	}
	if voucher.Valid {
		q.Voucher = &voucher.String
	}
	return &q, decodeDocuments(q.ID, lines, fees, &q.LineItems, &q.Fees)
}

// GetQuote reads a stored quote (GET /quotes/{id}); an expired quote is
// still shown, with its expiredAt in the past.
func GetQuote(ctx context.Context, q store.Querier, project, id string) (*Quote, error) {
	return loadRow(ctx, q, scanQuote, "quotes", quoteColumns, "quote", project, id, "")
}

// Balance is a user's balance (GET /users/{id}/balance): what the user
// holds per currency, and the ledger of movements, newest first.
type Balance struct {
	Object  string         `json:"object"`
	User    string         `json:"user"`
	Amounts []money.Price  `json:"amounts"`
	Entries []BalanceEntry `json:"entries"`
}

// BalanceEntry is one movement: a credit note (+), its void (−), an
// invoice that applied the balance (−), or its void (+).
type BalanceEntry struct {
	Amount     money.Price `json:"amount"`
	SourceType string      `json:"sourceType"`
	Source     string      `json:"source"`
	CreatedAt  time.Time   `json:"createdAt"`
}

// MaxBalanceEntries bounds the ledger a balance shows.
const MaxBalanceEntries = 200

// UserBalance reads a user's balance and its latest entries.
func UserBalance(ctx context.Context, q store.Querier, project, user string) (*Balance, error) {
	if _, err := users.Get(ctx, q, project, user); err != nil {
		return nil, err
	}
	b := &Balance{Object: "userBalance", User: user, Amounts: []money.Price{}}
	amounts, err := store.All(ctx, q, func(row store.Scanner) (money.Price, error) {
		var p money.Price
		err := row.Scan(&p.Currency, &p.Amount)
		return p, err
	}, `SELECT currency, amount FROM user_balances WHERE project_id = ? AND user_id = ? ORDER BY currency`, project, user)
	if err != nil {
		return nil, err
	}
	b.Amounts = append(b.Amounts, amounts...)
	b.Entries, err = store.All(ctx, q, func(row store.Scanner) (BalanceEntry, error) {
		var (
			e  BalanceEntry
			at int64
		)
		err := row.Scan(&e.Amount.Amount, &e.Amount.Currency, &e.SourceType, &e.Source, &at)
		e.CreatedAt = store.Time(at)
		return e, err
	}, `SELECT amount, currency, source_type, source_id, created_at FROM balance_entries WHERE project_id = ? AND user_id = ?
		ORDER BY created_at DESC, source_id DESC LIMIT ?`, project, user, MaxBalanceEntries)
	if err != nil {
		return nil, err
	}
	if b.Entries == nil {
		b.Entries = []BalanceEntry{}
	}
	return b, nil
}
