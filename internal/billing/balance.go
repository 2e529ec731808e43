package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/memo"
	"cellgate/internal/store"
)

// takeBalance applies the user's balance to a new invoice: as much as the
// balance holds, up to the total (docs/billing.md §4). It returns the
// amount applied.
func takeBalance(ctx context.Context, tx *store.Tx, project string, inv *Invoice, now time.Time) (int64, error) {
	if inv.Total.Amount == 0 {
		return 0, nil
	}
	if held, err := balancesHeld(ctx, tx, project); err != nil || !*held {
		return 0, err
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

// balancesHeld tells, once per batch of scheduled work, whether any user of
// the project holds a balance, so that renewing thousands of subscriptions
// does not look up thousands of empty balances. A credit within the batch
// sets the flag (moveBalance).
func balancesHeld(ctx context.Context, tx *store.Tx, project string) (*bool, error) {
	return memo.Get(ctx, tx, balancesKey(project), func() (*bool, error) {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM user_balances WHERE project_id = ? AND amount > 0 LIMIT 1`, project).Scan(&one)
		held := err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		return &held, err
	})
}

func balancesKey(project string) string { return "balancesHeld/" + project }
