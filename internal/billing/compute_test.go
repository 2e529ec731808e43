package billing

import (
	"context"
	"errors"
	"math"
	"testing"

	"cellgate/internal/billing/tax"
	"cellgate/internal/money"
)

// badCalculator returns a fixed answer, to exercise the engine's check of
// third-party calculators.
type badCalculator struct {
	res tax.Result
	err error
}

func (b badCalculator) Calculate(context.Context, tax.Request) (tax.Result, error) {
	return b.res, b.err
}

func TestCompute(t *testing.T) {
	ca := &tax.Jurisdiction{Country: "US", State: "CA"}
	line := func(p, d int64) []tax.Line { return []tax.Line{{Key: "pln", Price: p, Discount: d}} }
	for _, tc := range []struct {
		name                             string
		calc                             tax.Calculator
		j                                *tax.Jurisdiction
		behavior                         string
		lines                            []tax.Line
		bps                              int64
		subtotal, discount, tx, fee, tot int64
		reason                           string
	}{
		{name: "exclusive with recovery fee", j: ca, behavior: tax.Exclusive, lines: line(1000, 0), bps: 300,
			subtotal: 1000, tx: 137, fee: 30, tot: 1167},
		{name: "fee rounds half up on the net revenue", j: ca, behavior: tax.Exclusive, lines: line(1000, 900), bps: 150,
			subtotal: 1000, discount: 900, tx: 3 + 7 + 30, fee: 2, tot: 100 + 40 + 2},
		{name: "fully discounted", j: ca, behavior: tax.Exclusive, lines: line(1000, 1000), bps: 300,
			subtotal: 1000, discount: 1000, reason: tax.ReasonFullyDiscounted},
		{name: "free plan has no reason even without a jurisdiction", behavior: tax.Exclusive, lines: line(0, 0), bps: 300},
		{name: "no jurisdiction", behavior: tax.Exclusive, lines: line(1000, 0), subtotal: 1000, tot: 1000, reason: tax.ReasonCalculationFailed},
		{name: "calculation failure beats fully discounted", behavior: tax.Exclusive, lines: line(1000, 1000),
			subtotal: 1000, discount: 1000, reason: tax.ReasonCalculationFailed},
		{name: "calculator error", calc: badCalculator{err: errors.New("down")}, j: ca, behavior: tax.Exclusive, lines: line(1000, 0),
			subtotal: 1000, tot: 1000, reason: tax.ReasonCalculationFailed},
		{name: "calculator taxes that do not add up", j: ca, behavior: tax.Exclusive, lines: line(1000, 0), subtotal: 1000, tot: 1000,
			reason: tax.ReasonCalculationFailed, calc: badCalculator{res: tax.Result{Lines: []tax.LineResult{
				{Key: "pln", Amount: 1000, Tax: 10, Taxes: []tax.Tax{{Amount: 9}}}}}}},
		{name: "calculator changing an exclusive price", j: ca, behavior: tax.Exclusive, lines: line(1000, 0), subtotal: 1000, tot: 1000,
			reason: tax.ReasonCalculationFailed, calc: badCalculator{res: tax.Result{Lines: []tax.LineResult{
				{Key: "pln", Amount: 900, Tax: 100, Taxes: []tax.Tax{{Amount: 100}}}}}}},
		{name: "calculator dropping a line", j: ca, behavior: tax.Exclusive, lines: line(1000, 0), subtotal: 1000, tot: 1000,
			reason: tax.ReasonCalculationFailed, calc: badCalculator{}},
		{name: "inclusive tax above the price", j: &tax.Jurisdiction{Country: "US", State: "OR"}, behavior: tax.Inclusive,
			lines: line(100, 0), subtotal: 100, tot: 100, reason: tax.ReasonInclusiveTaxExceedsPrice},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calc := tc.calc
			if calc == nil {
				calc = DefaultCalculator()
			}
			a, err := Compute(context.Background(), calc, Input{Jurisdiction: tc.j, Currency: "USD", Behavior: tc.behavior, Lines: tc.lines, RecoveryBPS: tc.bps})
			if err != nil {
				t.Fatal(err)
			}
			if a.Subtotal != tc.subtotal || a.Discount != tc.discount || a.Tax != tc.tx || a.FeesTotal != tc.fee || a.Total != tc.tot || a.ExemptionReason != tc.reason {
				t.Fatalf("got subtotal %d discount %d tax %d fees %d total %d reason %q; want %d %d %d %d %d %q",
					a.Subtotal, a.Discount, a.Tax, a.FeesTotal, a.Total, a.ExemptionReason, tc.subtotal, tc.discount, tc.tx, tc.fee, tc.tot, tc.reason)
			}
			if (tc.fee == 0) != (len(a.Fees) == 0) {
				t.Fatalf("fees %+v: a zero fee is omitted, a positive one listed", a.Fees)
			}
		})
	}
}

func TestPercentage(t *testing.T) {
	for ppm, want := range map[int64]string{72_500: "7.25", 34_000: "3.4", 0: "0", 1: "0.0001", 1_000_000: "100", 68_750: "6.875"} {
		if got := Percentage(&ppm); got == nil || string(*got) != want {
			t.Errorf("Percentage(%d) = %v, want %s", ppm, got, want)
		}
	}
	if Percentage(nil) != nil {
		t.Error("a flat tax has no percentage")
	}
}

// TestComputeTotalsAreChecked: amounts whose totals int64 cannot hold are
// money.ErrOverflow (a 422), on every sum: lines, taxes, fees and total.
func TestComputeTotalsAreChecked(t *testing.T) {
	ca := &tax.Jurisdiction{Country: "US", State: "CA"}
	const max = math.MaxInt64
	for _, tc := range []struct {
		name     string
		j        *tax.Jurisdiction
		behavior string
		lines    []tax.Line
		bps      int64
	}{
		{"two lines past the limit", nil, tax.Exclusive, []tax.Line{{Key: "a", Price: max/2 + 1}, {Key: "b", Price: max/2 + 1}}, 0},
		{"taxes on top of the largest price", ca, tax.Exclusive, []tax.Line{{Key: "a", Price: max - 10}}, 0},
		{"a fee on top of the largest price", nil, tax.Exclusive, []tax.Line{{Key: "a", Price: max - 10}}, 300},
		{"inclusive taxes of the largest price", ca, tax.Inclusive, []tax.Line{{Key: "a", Price: max}, {Key: "b", Price: max}}, 0},
	} {
		_, err := Compute(context.Background(), DefaultCalculator(), Input{Jurisdiction: tc.j, Currency: "USD", Behavior: tc.behavior, Lines: tc.lines, RecoveryBPS: tc.bps})
		if !errors.Is(err, money.ErrOverflow) {
			t.Errorf("%s: err = %v, want money.ErrOverflow", tc.name, err)
		}
	}
	a, err := Compute(context.Background(), DefaultCalculator(), Input{Jurisdiction: ca, Currency: "USD", Behavior: tax.Exclusive,
		Lines: []tax.Line{{Key: "a", Price: money.MaxAmount}}, RecoveryBPS: 10_000})
	if err != nil || a.Total <= 2*money.MaxAmount {
		t.Errorf("the largest accepted price: %+v, %v", a, err)
	}
}
