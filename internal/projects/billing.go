package projects

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"cellgate/internal/errs"
	"cellgate/internal/money"
	"cellgate/internal/optional"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// Billing is a project's Billing API settings; a nil *Billing means Billing
// is off. The billing engine reads these; see docs/billing.md.
type Billing struct {
	Currency              string  `json:"currency"`
	AdvanceInvoicingDays  int     `json:"advanceInvoicingDays"`
	InvoiceOverdueDays    int     `json:"invoiceOverdueDays"`
	InvoiceOverdueAction  string  `json:"invoiceOverdueAction"`
	PaymentBehavior       string  `json:"paymentBehavior"`
	TaxBehavior           string  `json:"taxBehavior"`
	RecoveryFeePercentage float64 `json:"recoveryFeePercentage"`
	// ProrationBehavior prices a plan change applied at once
	// (docs/changes.md): none, or prorateImmediately.
	ProrationBehavior string `json:"prorationBehavior"`
}

// Enum values of the billing settings.
const (
	OverdueActionNone     = "none"
	OverdueActionEnd      = "end"
	OverdueActionRestrict = "restrict"

	PaymentManual    = "manual"
	PaymentAutomatic = "automatic"

	TaxExclusive = "exclusive"
	TaxInclusive = "inclusive"

	ProrationNone        = "none"
	ProrationImmediately = "prorateImmediately"
)

// Limits on the numeric settings.
const (
	MaxAdvanceInvoicingDays = 28
	MaxInvoiceOverdueDays   = 28
)

// DefaultBilling is what turning Billing on without settings gives.
func DefaultBilling() Billing {
	return Billing{
		Currency:             "USD",
		InvoiceOverdueDays:   3,
		InvoiceOverdueAction: OverdueActionEnd,
		PaymentBehavior:      PaymentManual,
		TaxBehavior:          TaxExclusive,
		ProrationBehavior:    ProrationNone,
	}
}

// BillingUpdate is the body form of the billing object: each field may be
// left out to keep its value.
type BillingUpdate struct {
	Currency              optional.Value[string]  `json:"currency"`
	AdvanceInvoicingDays  optional.Value[int]     `json:"advanceInvoicingDays"`
	InvoiceOverdueDays    optional.Value[int]     `json:"invoiceOverdueDays"`
	InvoiceOverdueAction  optional.Value[string]  `json:"invoiceOverdueAction"`
	PaymentBehavior       optional.Value[string]  `json:"paymentBehavior"`
	TaxBehavior           optional.Value[string]  `json:"taxBehavior"`
	RecoveryFeePercentage optional.Value[float64] `json:"recoveryFeePercentage"`
	ProrationBehavior     optional.Value[string]  `json:"prorationBehavior"`
}

// apply merges u into b and checks every field.
func (u BillingUpdate) apply(b Billing) (Billing, error) {
	for _, f := range []struct {
		name string
		null bool
	}{
		{"currency", u.Currency.Null}, {"advanceInvoicingDays", u.AdvanceInvoicingDays.Null},
		{"invoiceOverdueDays", u.InvoiceOverdueDays.Null}, {"invoiceOverdueAction", u.InvoiceOverdueAction.Null},
		{"paymentBehavior", u.PaymentBehavior.Null}, {"taxBehavior", u.TaxBehavior.Null},
		{"recoveryFeePercentage", u.RecoveryFeePercentage.Null}, {"prorationBehavior", u.ProrationBehavior.Null},
	} {
		if err := validate.NotNull("billing."+f.name, f.null); err != nil {
			return b, err
		}
	}
	if u.Currency.Set {
		if !money.ValidCurrency(u.Currency.Value) {
			return b, errs.Invalid("currencyInvalid", "billing.currency %q is not an ISO 4217 currency code.", u.Currency.Value)
		}
		b.Currency = u.Currency.Value
	}
	if u.AdvanceInvoicingDays.Set {
		if v := u.AdvanceInvoicingDays.Value; v < 0 || v > MaxAdvanceInvoicingDays {
			return b, errs.Invalid("billingInvalid", "billing.advanceInvoicingDays must be between 0 and %d.", MaxAdvanceInvoicingDays)
		}
		b.AdvanceInvoicingDays = u.AdvanceInvoicingDays.Value
	}
	if u.InvoiceOverdueDays.Set {
		if v := u.InvoiceOverdueDays.Value; v < 0 || v > MaxInvoiceOverdueDays {
			return b, errs.Invalid("billingInvalid", "billing.invoiceOverdueDays must be between 0 and %d.", MaxInvoiceOverdueDays)
		}
		b.InvoiceOverdueDays = u.InvoiceOverdueDays.Value
	}
	if err := setEnum(&b.InvoiceOverdueAction, u.InvoiceOverdueAction, "billing.invoiceOverdueAction", OverdueActionNone, OverdueActionEnd, OverdueActionRestrict); err != nil {
		return b, err
	}
	if err := setEnum(&b.PaymentBehavior, u.PaymentBehavior, "billing.paymentBehavior", PaymentManual, PaymentAutomatic); err != nil {
		return b, err
	}
	if err := setEnum(&b.TaxBehavior, u.TaxBehavior, "billing.taxBehavior", TaxExclusive, TaxInclusive); err != nil {
		return b, err
	}
	if err := setEnum(&b.ProrationBehavior, u.ProrationBehavior, "billing.prorationBehavior", ProrationNone, ProrationImmediately); err != nil {
		return b, err
	}
	if u.RecoveryFeePercentage.Set {
		v := u.RecoveryFeePercentage.Value
		// Two decimals at most: the fee is computed in basis points. A
		// decimal such as 1.1 is not exact in binary (1.1*100 is
		// 110.00000000000001), so compare with the nearest basis point.
		if v < 0 || v > 100 || math.Abs(v*100-math.Round(v*100)) > 1e-6 {
			return b, errs.Invalid("billingInvalid", "billing.recoveryFeePercentage must be between 0 and 100 with at most two decimals.")
		}
		b.RecoveryFeePercentage = v
	}
	return b, nil
}

// RecoveryFeeBasisPoints is the recovery fee as an integer, for money math.
func (b Billing) RecoveryFeeBasisPoints() int64 {
	return int64(b.RecoveryFeePercentage*100 + 0.5)
}

func setEnum(dst *string, v optional.Value[string], field string, allowed ...string) error {
	if !v.Set {
		return nil
	}
	if err := validate.OneOf(field, v.Value, allowed...); err != nil {
		return err
	}
	*dst = v.Value
	return nil
}

// breaksOpenInvoices reports whether a settings change turns Billing off or
// switches its currency: the open invoices of billed subscriptions would
// lose their rules or mix currencies.
func breaksOpenInvoices(before, after *Billing) bool {
	if before == nil {
		return false
	}
	return after == nil || after.Currency != before.Currency
}

// checkBillingNotInUse refuses such a change while the project has a billed
// subscription that has not ended (docs/billing.md §1).
func checkBillingNotInUse(ctx context.Context, q store.Querier, project string, before, after *Billing) error {
	if !breaksOpenInvoices(before, after) {
		return nil
	}
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM subscriptions WHERE project_id = ? AND billed AND status <> 'ended' LIMIT 1`, project).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("projects: billed subscriptions of %s: %w", project, err)
	}
	what := "turned off"
	if after != nil {
		what = fmt.Sprintf("switched from %s to %s", before.Currency, after.Currency)
	}
	return errs.Conflict("billingInUse", "Billing cannot be %s while the project has billed subscriptions that have not ended.", what).
		WithHint("End those subscriptions first (POST /projects/%s/subscriptions/{subscription}/end), then change billing.", project)
}
