package subscriptions

import (
	"context"
	"time"

	"cellgate/internal/store"
)

// Discount is subscription.billing.discount (reference §2.12 shows
// `discount{voucher}`): the voucher that discounts the invoice of the
// subscription's current period, or of its first invoice before it
// activates (docs/payments.md).
type Discount struct {
	Voucher string `json:"voucher"`
}

// DiscountSource tells which voucher, if any, discounts period number n
// starting at start (nil: the creation invoice) of a subscription
// activated at activated (nil: not yet). Package vouchers provides it: it
// imports subscriptions, never the other way round.
type DiscountSource func(ctx context.Context, q store.Querier, project, subscription string, n int, start, activated *time.Time) (*Discount, error)

var discountSource DiscountSource

// SetDiscountSource installs the vouchers' answer; until then no
// subscription shows a discount.
func SetDiscountSource(f DiscountSource) { discountSource = f }

// discountOf is the discount of r's current period; none once it ended.
func discountOf(ctx context.Context, q store.Querier, r *record) (*Discount, error) {
	if discountSource == nil || r.Status == StatusEnded {
		return nil, nil
	}
	if !r.live() {
		return discountSource(ctx, q, r.Project, r.ID, 1, nil, nil)
	}
	start := r.Period.Start
	return discountSource(ctx, q, r.Project, r.ID, r.Period.Number, &start, r.ActivatedAt)
}
