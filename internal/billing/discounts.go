package billing

import (
	"context"
	"time"

	"cellgate/internal/billing/tax"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/vouchers"
)

// voucherDiscount is what a voucher takes off a price: its fixed amount
// (never more than the price) or its percentage, rounded half up.
func voucherDiscount(v *vouchers.Voucher, price int64) (int64, error) {
	if v.PriceDiscount != nil {
		return min(v.PriceDiscount.Amount, price), nil
	}
	return tax.RoundDiv(price, int64(*v.PriceDiscountPercentage), 100)
}

// invoiceDiscount is the discount of the invoice of period n (start nil
// for the creation invoice) of a subscription, from the voucher it
// redeemed when its recurrence covers that period (docs/payments.md).
func invoiceDiscount(ctx context.Context, tx *store.Tx, project, subscription string, n int, start *time.Time, price int64) (int64, error) {
	if redeemed, err := vouchers.AnyRedeemed(ctx, tx, project); err != nil || !redeemed {
		return 0, err
	}
	v, err := vouchers.Of(ctx, tx, project, subscription)
	if err != nil || v == nil {
		return 0, err
	}
	var activated *time.Time
	if n > 1 {
		b, err := subscriptions.LoadBilled(ctx, tx, project, subscription)
		if err != nil || b == nil {
			return 0, err
		}
		activated = b.ActivatedAt
	}
	if !v.Covers(n, start, activated) {
		return 0, nil
	}
	return voucherDiscount(v, price)
}
