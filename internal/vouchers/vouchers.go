// Package vouchers holds a project's discounts: the voucher, its codes,
// and the redemption that ties one to a subscription when it is created
// (reference §2.16, docs/payments.md). The billing engine reads the
// redemption to discount each invoice its recurrence covers.
package vouchers

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Prefix is the id prefix of vouchers; CodePrefix that of their codes.
const (
	Prefix     = "vou"
	CodePrefix = "vcd"
)

// Statuses, recurrences and retirement reasons (reference §2.16).
const (
	StatusAvailable = "available"
	StatusRetired   = "retired"

	Once      = "once"
	Repeating = "repeating"
	Forever   = "forever"

	RetiredManually   = "manualAction"
	RetiredExpired    = "expired"
	RetiredMaxReached = "maxRedemptionsReached"
)

// Statuses is the enum of the list filter.
var Statuses = []string{StatusAvailable, StatusRetired}

func init() {
	events.Register("voucher.created", "voucher.retired")
	subscriptions.SetDiscountSource(discountOf)
}

// discountOf is subscription.billing.discount: the redeemed voucher while
// its recurrence covers the period (Covers), whatever its status since.
func discountOf(ctx context.Context, q store.Querier, project, subscription string, n int, start, activated *time.Time) (*subscriptions.Discount, error) {
	v, err := Of(ctx, q, project, subscription)
	if err != nil || v == nil || !v.Covers(n, start, activated) {
		return nil, err
	}
	return &subscriptions.Discount{Voucher: v.ID}, nil
}

// Voucher is the API representation.
type Voucher struct {
	Object                  string       `json:"object"`
	ID                      string       `json:"id"`
	CreatedAt               time.Time    `json:"createdAt"`
	Name                    string       `json:"name"`
	PriceDiscount           *money.Price `json:"priceDiscount"`
	PriceDiscountPercentage *int         `json:"priceDiscountPercentage"`
	Recurrence              Recurrence   `json:"recurrence"`
	Restrictions            Restrictions `json:"restrictions"`
	Redemptions             int          `json:"redemptions"`
	RetiredReason           *string      `json:"retiredReason"`
	Status                  string       `json:"status"`
}

// Recurrence says which invoices of a subscription are discounted.
type Recurrence struct {
	Type             string `json:"type"`
	DurationInMonths *int   `json:"durationInMonths"`
}

// Restrictions limit where and how often a voucher is redeemed.
type Restrictions struct {
	ExpiresAt          *time.Time `json:"expiresAt"`
	MaximumRedemptions *int       `json:"maximumRedemptions"`
	Plans              []string   `json:"plans"`
}

const columns = `id, name, discount_amount, discount_currency, discount_percentage, recurrence_type, duration_months, expires_at,
	max_redemptions, plans, redemptions, status, retired_reason, created_at`

func scan(row store.Scanner) (*Voucher, error) {
	var (
		v                      Voucher
		amount, expires        sql.NullInt64
		currency, reason       sql.NullString
		pct, months, maxRedeem sql.NullInt32
		plans                  string
		created                int64
	)
	err := row.Scan(&v.ID, &v.Name, &amount, &currency, &pct, &v.Recurrence.Type, &months, &expires, &maxRedeem, &plans,
		&v.Redemptions, &v.Status, &reason, &created)
	if err != nil {
		return nil, err
	}
	v.Object, v.CreatedAt = "voucher", store.Time(created)
	if amount.Valid {
		v.PriceDiscount = &money.Price{Amount: amount.Int64, Currency: currency.String}
	}
	v.PriceDiscountPercentage = nullInt(pct)
	v.Recurrence.DurationInMonths = nullInt(months)
	v.Restrictions.MaximumRedemptions = nullInt(maxRedeem)
	v.Restrictions.ExpiresAt = store.NullTime(expires)
	if reason.Valid {
		v.RetiredReason = &reason.String
	}
	return &v, json.Unmarshal([]byte(plans), &v.Restrictions.Plans)
}

func nullInt(v sql.NullInt32) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int32)
	return &n
}

// at shows the voucher as it stands at now: one past its expiry is
// retired, expired, whether or not anyone tried it since.
func (v *Voucher) at(now time.Time) *Voucher {
	if v.Status == StatusAvailable && v.Restrictions.ExpiresAt != nil && !now.Before(*v.Restrictions.ExpiresAt) {
		reason := RetiredExpired
		v.Status, v.RetiredReason = StatusRetired, &reason
	}
	return v
}

func load(ctx context.Context, q store.Querier, project, id, lock string) (*Voucher, error) {
	v, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM vouchers WHERE id = ? AND project_id = ?`+lock, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("voucher", id)
	}
	if err != nil {
		return nil, fmt.Errorf("vouchers: %s: %w", id, err)
	}
	return v, nil
}

// Get reads a voucher as it stands at now.
func Get(ctx context.Context, q store.Querier, project, id string, now time.Time) (*Voucher, error) {
	v, err := load(ctx, q, project, id, "")
	if err != nil {
		return nil, err
	}
	return v.at(now), nil
}

// Filter narrows a voucher list.
type Filter struct{ Status, Code string }

// List pages through the project's vouchers, newest first.
func List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page, now time.Time) (store.PageOf[*Voucher], error) {
	lq := &store.ListQuery{Select: `SELECT ` + columns + ` FROM vouchers`}
	lq.Where("project_id = ?", project)
	switch f.Status {
	case StatusAvailable:
		lq.Where("status = 'available' AND (expires_at IS NULL OR expires_at > ?)", store.Micros(now))
	case StatusRetired:
		lq.Where("(status = 'retired' OR expires_at <= ?)", store.Micros(now))
	}
	if f.Code != "" {
		lq.Where("id IN (SELECT voucher_id FROM voucher_codes WHERE project_id = ? AND code = ?)", project, f.Code)
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Voucher, string, error) {
		v, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		return v.at(now), v.ID, nil
	})
}

// Retire takes a voucher out of use by hand.
func Retire(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Voucher, error) {
	v, err := load(ctx, tx, project, id, store.LockInTx(tx))
	if err != nil {
		return nil, err
	}
	if v.at(now).Status == StatusRetired {
		return nil, errs.Conflict("voucherRetired", "The voucher %s is already retired.", id)
	}
	reason := RetiredManually
	if _, err := tx.Exec(ctx, `UPDATE vouchers SET status = 'retired', retired_reason = ?, updated_at = ? WHERE id = ?`,
		reason, store.Micros(now), id); err != nil {
		return nil, err
	}
	v.Status, v.RetiredReason = StatusRetired, &reason
	return v, events.Record(ctx, tx, project, "voucher.retired", v.ID, v, now)
}

// allows reports whether the voucher may discount the plan.
func (v *Voucher) allows(plan string) bool {
	return len(v.Restrictions.Plans) == 0 || slices.Contains(v.Restrictions.Plans, plan)
}

// newID makes a code id.
func newID() string { return ids.New(CodePrefix) }
