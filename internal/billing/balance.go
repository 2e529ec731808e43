package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/store"
)

// takeBalance applies the user's balance to a new invoice: as much as the
// balance holds, up to the total (docs/billing.md §4). It returns the
// amount applied.
func takeBalance(ctx context.Context, tx *store.Tx, project string, inv *Invoice, now time.Time) (int64, error) {
	if inv.Total.Amount == 0 {
		return 0, nil
	}
	var have int64
	err := tx.QueryRow(ctx, `SELECT amount FROM user_balances WHERE user_id = ? AND currency = ?`+tx.Dialect().ForUpdate(),
		inv.User, inv.Total.Currency).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && have == 0) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("billing: balance of %s: %w", inv.User, err)
	}
	applied := min(have, inv.Total.Amount)
	return applied, moveBalance(ctx, tx, project, inv.User, inv.Total.Currency, -applied, "invoice", inv.ID, now)
}

// returnBalance gives a voided invoice's applied balance back to the user.
func returnBalance(ctx context.Context, tx *store.Tx, project string, inv *Invoice, now time.Time) error {
	if inv.AppliedBalance == nil || inv.AppliedBalance.Amount == 0 {
		return nil
	}
	return moveBalance(ctx, tx, project, inv.User, inv.Total.Currency, inv.AppliedBalance.Amount, "invoiceVoid", inv.ID, now)
}
