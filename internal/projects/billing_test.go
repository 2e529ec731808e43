package projects

import (
	"testing"

	"cellgate/internal/errs"
	"cellgate/internal/optional"
)

// TestRecoveryFeePercentageTwoDecimals: any percentage with at most two
// decimals is accepted, even those binary floats cannot hold exactly.
func TestRecoveryFeePercentageTwoDecimals(t *testing.T) {
	for _, c := range []struct {
		pct  float64
		ok   bool
		bps  int64
		name string
	}{
		{0, true, 0, "zero"},
		{0.01, true, 1, "one basis point"},
		{0.29, true, 29, "0.29*100 is 28.999..."},
		{1.1, true, 110, "1.1*100 is 110.000...01"},
		{4.35, true, 435, "4.35"},
		{33.33, true, 3333, "33.33"},
		{100, true, 10000, "all of it"},
		{1.234, false, 0, "three decimals"},
		{0.001, false, 0, "a tenth of a basis point"},
		{-0.01, false, 0, "negative"},
		{100.01, false, 0, "above 100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := BillingUpdate{RecoveryFeePercentage: optional.Of(c.pct)}.apply(DefaultBilling())
			if !c.ok {
				if !errs.IsKind(err, errs.KindInvalid) {
					t.Fatalf("%v accepted (err %v)", c.pct, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v rejected: %v", c.pct, err)
			}
			if b.RecoveryFeePercentage != c.pct || b.RecoveryFeeBasisPoints() != c.bps {
				t.Errorf("%v stored as %v = %d bps, want %d", c.pct, b.RecoveryFeePercentage, b.RecoveryFeeBasisPoints(), c.bps)
			}
		})
	}
}

// TestBillingUpdateKeepsUnsetFields: only the given settings change.
func TestBillingUpdateKeepsUnsetFields(t *testing.T) {
	base := DefaultBilling()
	base.AdvanceInvoicingDays = 7
	got, err := BillingUpdate{TaxBehavior: optional.Of(TaxInclusive)}.apply(base)
	if err != nil {
		t.Fatal(err)
	}
	want := base
	want.TaxBehavior = TaxInclusive
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestBillingChangesThatBreakOpenInvoices: "PATCH /projects with billing:
// null, or with a different currency, while the project has a billed
// subscription that has not ended → 409 billingInUse" (docs/billing.md §1).
// Only those two changes need the check.
func TestBillingChangesThatBreakOpenInvoices(t *testing.T) {
	usd := DefaultBilling()
	eur := usd
	eur.Currency = "EUR"
	longerGrace := usd
	longerGrace.InvoiceOverdueDays = 10
	for _, c := range []struct {
		name          string
		before, after *Billing
		breaks        bool
	}{
		{"stays off", nil, nil, false},
		{"turned on", nil, &usd, false},
		{"turned off", &usd, nil, true},
		{"currency changed", &usd, &eur, true},
		{"same currency", &usd, &usd, false},
		{"other setting changed", &usd, &longerGrace, false},
	} {
		if got := breaksOpenInvoices(c.before, c.after); got != c.breaks {
			t.Errorf("%s: breaksOpenInvoices = %v, want %v", c.name, got, c.breaks)
		}
	}
}
