package vouchers

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// Input is the body of POST /vouchers.
type Input struct {
	Name                    string            `json:"name"`
	PriceDiscount           *money.Price      `json:"priceDiscount"`
	PriceDiscountPercentage *int              `json:"priceDiscountPercentage"`
	Recurrence              *Recurrence       `json:"recurrence"`
	Restrictions            *RestrictionInput `json:"restrictions"`
	// Codes are the codes users redeem it with; more can be added later.
	Codes []string `json:"codes"`
}

// RestrictionInput is the restrictions object of a new voucher.
type RestrictionInput struct {
	ExpiresAt          *time.Time `json:"expiresAt"`
	MaximumRedemptions *int       `json:"maximumRedemptions"`
	Plans              []string   `json:"plans"`
}

// Limits of a voucher.
const (
	maxMonths = 120
	maxCodes  = 100
	maxPlans  = 100
)

var codePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (in Input) check() error {
	if err := validate.Required("name", in.Name); err != nil {
		return err
	}
	if err := validate.MaxLength("name", in.Name, 255); err != nil {
		return err
	}
	switch {
	case (in.PriceDiscount == nil) == (in.PriceDiscountPercentage == nil):
		return errs.Invalid("voucherDiscountInvalid", "Give exactly one of priceDiscount and priceDiscountPercentage.")
	case in.PriceDiscount != nil:
		if err := money.CheckAmount("priceDiscount.amount", in.PriceDiscount.Amount); err != nil {
			return err
		}
		if in.PriceDiscount.Amount < 1 || !money.ValidCurrency(in.PriceDiscount.Currency) {
			return errs.Invalid("voucherDiscountInvalid", "priceDiscount needs an amount of at least 1 and an ISO 4217 currency.")
		}
	case *in.PriceDiscountPercentage < 1 || *in.PriceDiscountPercentage > 100:
		return errs.Invalid("voucherDiscountInvalid", "priceDiscountPercentage must be between 1 and 100.")
	}
	if in.Recurrence == nil {
		return errs.Invalid("fieldRequired", "recurrence is required.")
	}
	if err := validate.OneOf("recurrence.type", in.Recurrence.Type, Once, Repeating, Forever); err != nil {
		return err
	}
	months := in.Recurrence.DurationInMonths
	if (in.Recurrence.Type == Repeating) != (months != nil) || (months != nil && (*months < 1 || *months > maxMonths)) {
		return errs.Invalid("voucherRecurrenceInvalid", "recurrence.durationInMonths (1 to %d) is given for a repeating voucher, and only then.", maxMonths)
	}
	if r := in.Restrictions; r != nil {
		if r.MaximumRedemptions != nil && *r.MaximumRedemptions < 1 {
			return errs.Invalid("voucherRestrictionsInvalid", "restrictions.maximumRedemptions must be at least 1.")
		}
		if len(r.Plans) > maxPlans {
			return errs.Invalid("voucherRestrictionsInvalid", "restrictions.plans names at most %d plans.", maxPlans)
		}
		for _, p := range r.Plans {
			if !ids.Valid(p) {
				return errs.Invalid("planNotFound", "restrictions.plans: %q is not a plan id.", p)
			}
		}
	}
	if len(in.Codes) > maxCodes {
		return errs.Invalid("voucherCodeInvalid", "codes holds at most %d codes.", maxCodes)
	}
	for _, c := range in.Codes {
		if err := checkCode(c); err != nil {
			return err
		}
	}
	return nil
}

func checkCode(c string) error {
	if !codePattern.MatchString(c) {
		return errs.Invalid("voucherCodeInvalid", "A voucher code is 1 to 64 letters, digits, _ or -.")
	}
	return nil
}

// Create stores a voucher with its codes and records voucher.created.
func Create(ctx context.Context, tx *store.Tx, project string, in Input, now time.Time) (*Voucher, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	v := &Voucher{Object: "voucher", ID: ids.New(Prefix), CreatedAt: now, Name: in.Name, PriceDiscount: in.PriceDiscount,
		PriceDiscountPercentage: in.PriceDiscountPercentage, Recurrence: *in.Recurrence, Status: StatusAvailable,
		Restrictions: Restrictions{Plans: []string{}}}
	if r := in.Restrictions; r != nil {
		v.Restrictions.ExpiresAt, v.Restrictions.MaximumRedemptions = r.ExpiresAt, r.MaximumRedemptions
		if r.ExpiresAt != nil {
			at := r.ExpiresAt.UTC().Truncate(time.Second)
			v.Restrictions.ExpiresAt = &at
		}
		if r.Plans != nil {
			v.Restrictions.Plans = r.Plans
		}
	}
	var amount, currency any
	if v.PriceDiscount != nil {
		amount, currency = v.PriceDiscount.Amount, v.PriceDiscount.Currency
	}
	_, err := tx.Exec(ctx, `INSERT INTO vouchers (id, project_id, name, discount_amount, discount_currency, discount_percentage,
		recurrence_type, duration_months, expires_at, max_redemptions, plans, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'available', ?, ?)`, v.ID, project, v.Name, amount, currency,
		v.PriceDiscountPercentage, v.Recurrence.Type, v.Recurrence.DurationInMonths, store.NullMicros(v.Restrictions.ExpiresAt),
		v.Restrictions.MaximumRedemptions, store.JSON(v.Restrictions.Plans), store.Micros(now), store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("vouchers: insert: %w", err)
	}
	for _, c := range in.Codes {
		if _, err := addCode(ctx, tx, project, v.ID, c, now); err != nil {
			return nil, err
		}
	}
	return v, recordCreated(ctx, tx, project, v, now)
}
