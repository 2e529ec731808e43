package vouchers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/memo"
	"cellgate/internal/store"
)

// Resolve finds the voucher of a code and checks that it can discount
// plan in currency at now: voucherCodeNotFound, voucherCodeExpired, or
// voucherCodeInvalid (retired, used up, not for this plan or currency).
func Resolve(ctx context.Context, q store.Querier, project, code, plan, currency string, now time.Time) (*Voucher, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT voucher_id FROM voucher_codes WHERE project_id = ? AND code = ?`, project, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.Invalid("voucherCodeNotFound", "voucherCode %q is not a voucher code of the project.", code)
	}
	if err != nil {
		return nil, fmt.Errorf("vouchers: code: %w", err)
	}
	v, err := load(ctx, q, project, id, "")
	if err != nil {
		return nil, err
	}
	switch {
	case v.Status == StatusAvailable && v.Restrictions.ExpiresAt != nil && !now.Before(*v.Restrictions.ExpiresAt):
		return nil, errs.Invalid("voucherCodeExpired", "voucherCode %q expired at %s.", code, v.Restrictions.ExpiresAt.Format(time.RFC3339))
	case v.Status != StatusAvailable:
		return nil, errs.Invalid("voucherCodeInvalid", "voucherCode %q belongs to a retired voucher.", code)
	case !v.allows(plan):
		return nil, errs.Invalid("voucherCodeInvalid", "voucherCode %q does not apply to the plan %s.", code, plan)
	case v.PriceDiscount != nil && v.PriceDiscount.Currency != currency:
		return nil, errs.Invalid("voucherCodeInvalid", "voucherCode %q discounts %s, not %s.", code, v.PriceDiscount.Currency, currency)
	}
	return v, nil
}

// Redeem ties the code's voucher to a new subscription and counts the
// redemption. The count is taken by one conditional update, so however
// many subscriptions redeem at once, no more than maximumRedemptions
// succeed; the last one retires the voucher (maxRedemptionsReached).
func Redeem(ctx context.Context, tx *store.Tx, project, code, plan, currency, subscription string, now time.Time) (*Voucher, error) {
	v, err := Resolve(ctx, tx, project, code, plan, currency, now)
	if err != nil {
		return nil, err
	}
	res, err := tx.Exec(ctx, `UPDATE vouchers SET redemptions = redemptions + 1,
		status = CASE WHEN max_redemptions = redemptions + 1 THEN 'retired' ELSE status END,
		retired_reason = CASE WHEN max_redemptions = redemptions + 1 THEN 'maxRedemptionsReached' ELSE retired_reason END, updated_at = ?
		WHERE id = ? AND status = 'available' AND (max_redemptions IS NULL OR redemptions < max_redemptions)`, store.Micros(now), v.ID)
	if err != nil {
		return nil, fmt.Errorf("vouchers: redeem %s: %w", v.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return nil, err
		}
		return nil, errs.Invalid("voucherCodeInvalid", "voucherCode %q has no redemptions left.", code)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO voucher_redemptions (subscription_id, project_id, voucher_id, created_at) VALUES (?, ?, ?, ?)`,
		subscription, project, v.ID, store.Micros(now)); err != nil {
		return nil, fmt.Errorf("vouchers: redemption of %s: %w", v.ID, err)
	}
	if held, ok := memo.Lookup[*bool](ctx, tx, redeemedKey(project)); ok {
		*held = true
	}
	return v, nil
}

// AnyRedeemed tells, once per batch of scheduled work, whether any
// subscription of the project redeemed a voucher, so that renewing
// thousands of subscriptions does not look up thousands of redemptions
// that do not exist. A redemption within the batch sets it (Redeem).
func AnyRedeemed(ctx context.Context, tx *store.Tx, project string) (bool, error) {
	held, err := memo.Get(ctx, tx, redeemedKey(project), func() (*bool, error) {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM voucher_redemptions WHERE project_id = ? LIMIT 1`, project).Scan(&one)
		held := err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		return &held, err
	})
	return err == nil && *held, err
}

func redeemedKey(project string) string { return "vouchersRedeemed/" + project }

// Of is the voucher a subscription redeemed, nil when none.
func Of(ctx context.Context, q store.Querier, project, subscription string) (*Voucher, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT voucher_id FROM voucher_redemptions WHERE subscription_id = ? AND project_id = ?`, subscription, project).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return load(ctx, q, project, id, "")
}

// Covers reports whether the voucher discounts the invoice of period
// number n starting at start (nil: the creation invoice) of a
// subscription activated at activated (nil: not yet): once, the first
// invoice; repeating, the invoices of periods that start within
// durationInMonths of the activation; forever, all.
func (v *Voucher) Covers(n int, start, activated *time.Time) bool {
	switch v.Recurrence.Type {
	case Forever:
		return true
	case Once:
		return n == 1
	}
	if n == 1 || start == nil || activated == nil {
		return n == 1
	}
	return start.Before(activated.AddDate(0, *v.Recurrence.DurationInMonths, 0))
}
