package tax

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
)

func pct(ppm int64) *int64 { return &ppm }

func pctRate(name string, ppm int64) rate {
	return rate{typ: TypeSalesTax, name: name, jurisdiction: "X", ppm: pct(ppm)}
}

func flatRate(name string, amount int64) rate {
	return rate{typ: TypeTelecomFee, name: name, jurisdiction: "X", flat: amount}
}

// caRates are the rates of a California line: USF 3.4 %, sales tax 7.25 %
// and a 30-cent 911 surcharge (the example of docs/billing.md §10).
var caRates = []rate{pctRate("USF", 34_000), pctRate("CA", 72_500), flatRate("911", 30)}

func TestComputeLine(t *testing.T) {
	for _, tc := range []struct {
		name             string
		behavior         string
		price, discount  int64
		rates            []rate
		amount, tax      int64
		taxes            []int64
		exceeds, wantErr bool
	}{
		{name: "exclusive, several taxes", behavior: Exclusive, price: 1000, rates: caRates,
			amount: 1000, tax: 137, taxes: []int64{34, 73, 30}},
		{name: "exclusive, discount lowers the base", behavior: Exclusive, price: 1000, discount: 200, rates: caRates,
			amount: 1000, tax: 27 + 58 + 30, taxes: []int64{27, 58, 30}},
		{name: "half a unit rounds up", behavior: Exclusive, price: 100, rates: []rate{pctRate("a", 5_000)},
			amount: 100, tax: 1, taxes: []int64{1}},
		{name: "just under half rounds down", behavior: Exclusive, price: 100, rates: []rate{pctRate("a", 4_999)},
			amount: 100, tax: 0, taxes: []int64{0}},
		{name: "rounded per tax, then summed", behavior: Exclusive, price: 10, rates: []rate{pctRate("a", 50_000), pctRate("b", 50_000)},
			amount: 10, tax: 2, taxes: []int64{1, 1}},
		{name: "zero price has no taxes", behavior: Exclusive, price: 0, rates: caRates, amount: 0, tax: 0, taxes: []int64{}},
		{name: "zero price inclusive has no taxes", behavior: Inclusive, price: 0, rates: caRates, amount: 0, tax: 0, taxes: []int64{}},
		{name: "fully discounted has no taxes", behavior: Exclusive, price: 1000, discount: 1000, rates: caRates,
			amount: 1000, tax: 0, taxes: []int64{}},
		{name: "no rates", behavior: Exclusive, price: 1000, amount: 1000, tax: 0, taxes: []int64{}},
		{name: "inclusive, several taxes", behavior: Inclusive, price: 1137, rates: caRates,
			amount: 1000, tax: 137, taxes: []int64{34, 73, 30}},
		{name: "inclusive, rounding gap goes to the largest rate (first on a tie)", behavior: Inclusive, price: 104,
			rates: []rate{pctRate("a", 50_000), pctRate("b", 50_000)}, amount: 95, tax: 9, taxes: []int64{4, 5}},
		{name: "inclusive, gap goes to the largest rate", behavior: Inclusive, price: 104,
			rates: []rate{pctRate("small", 40_000), pctRate("big", 60_000)}, amount: 95, tax: 9, taxes: []int64{4, 5}},
		{name: "inclusive with discount", behavior: Inclusive, price: 1237, discount: 100, rates: caRates,
			amount: 1100, tax: 137, taxes: []int64{34, 73, 30}},
		{name: "inclusive flat tax exceeding the price", behavior: Inclusive, price: 100, rates: []rate{flatRate("911", 125)},
			amount: 100, tax: 0, taxes: []int64{}, exceeds: true},
		{name: "inclusive flat tax equal to the price", behavior: Inclusive, price: 125, rates: []rate{pctRate("a", 50_000), flatRate("911", 125)},
			amount: 0, tax: 125, taxes: []int64{0, 125}},
		{name: "discount above price", behavior: Exclusive, price: 100, discount: 101, wantErr: true},
		{name: "unknown behavior", behavior: "both", price: 100, rates: caRates, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, exceeds, err := computeLine(Line{Key: "k", Price: tc.price, Discount: tc.discount}, tc.behavior, tc.rates)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			amounts := []int64{}
			var sum int64
			for _, x := range got.Taxes {
				amounts = append(amounts, x.Amount)
				sum += x.Amount
			}
			if got.Amount != tc.amount || got.Tax != tc.tax || got.Discount != tc.discount || exceeds != tc.exceeds || !reflect.DeepEqual(amounts, tc.taxes) {
				t.Fatalf("got amount %d tax %d discount %d taxes %v exceeds %v; want %d %d %d %v %v",
					got.Amount, got.Tax, got.Discount, amounts, exceeds, tc.amount, tc.tax, tc.discount, tc.taxes, tc.exceeds)
			}
			if sum != got.Tax {
				t.Fatalf("Σ taxes %d ≠ tax %d", sum, got.Tax)
			}
			if tc.behavior == Inclusive && got.Amount+got.Tax != tc.price && !exceeds {
				t.Fatalf("inclusive: amount %d + tax %d ≠ price %d", got.Amount, got.Tax, tc.price)
			}
		})
	}
}

func TestRoundDiv(t *testing.T) {
	for _, tc := range []struct{ a, b, c, want int64 }{
		{725, 1, 10, 73}, {724, 1, 10, 72}, {1, 1, 2, 1}, {0, 72_500, PPMScale, 0},
		{math.MaxInt64, PPMScale, PPMScale, math.MaxInt64}, // the product needs 128 bits
	} {
		if got, err := RoundDiv(tc.a, tc.b, tc.c); err != nil || got != tc.want {
			t.Errorf("RoundDiv(%d,%d,%d) = %d, %v; want %d", tc.a, tc.b, tc.c, got, err, tc.want)
		}
	}
	if _, err := RoundDiv(math.MaxInt64, math.MaxInt64, 1); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflow: got %v", err)
	}
	if _, err := RoundDiv(-1, 1, 1); err == nil {
		t.Error("negative input accepted")
	}
}

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]int64{"7.25": 72_500, "6.875": 68_750, "4.225": 42_250, "0": 0, "3.4": 34_000, "100": PPMScale, "0.0001": 1} {
		if got, err := ParsePercent(in); err != nil || got != want {
			t.Errorf("ParsePercent(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1.23456", "-1", "+1", "abc", "1.2x", ".5", "101", "1e2"} {
		if got, err := ParsePercent(in); err == nil {
			t.Errorf("ParsePercent(%q) = %d, want an error", in, got)
		}
	}
}

func TestBuiltinCalculate(t *testing.T) {
	calc := Embedded()
	line := []Line{{Key: "l", Price: 1000}}
	for _, tc := range []struct {
		name    string
		j       Jurisdiction
		cur     string
		tax     int64
		names   []string
		wantErr bool
	}{
		{name: "California: national first, then region in file order", j: Jurisdiction{Country: "US", State: "CA"}, cur: "USD", tax: 137,
			names: []string{"Federal Universal Service Fee", "California Sales Tax", "California 911 Surcharge"}},
		{name: "state without taxes keeps the national fee", j: Jurisdiction{Country: "US", State: "AK"}, cur: "USD", tax: 34,
			names: []string{"Federal Universal Service Fee"}},
		{name: "US without a state", j: Jurisdiction{Country: "US"}, cur: "USD", wantErr: true},
		{name: "US territory not in the file", j: Jurisdiction{Country: "US", State: "PR"}, cur: "USD", wantErr: true},
		{name: "country without a file", j: Jurisdiction{Country: "DE"}, cur: "USD", wantErr: true},
		{name: "other currency", j: Jurisdiction{Country: "US", State: "CA"}, cur: "EUR", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := calc.Calculate(context.Background(), Request{Jurisdiction: tc.j, Currency: tc.cur, Behavior: Exclusive, Lines: line})
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %+v", res)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Lines) != 1 || res.Lines[0].Tax != tc.tax {
				t.Fatalf("got %+v, want tax %d", res, tc.tax)
			}
			var names []string
			for _, x := range res.Lines[0].Taxes {
				names = append(names, x.Name)
			}
			if !reflect.DeepEqual(names, tc.names) {
				t.Fatalf("taxes %v, want %v", names, tc.names)
			}
		})
	}
	res, err := calc.Calculate(context.Background(), Request{Jurisdiction: Jurisdiction{Country: "US", State: "OR"}, Currency: "USD",
		Behavior: Inclusive, Lines: []Line{{Key: "l", Price: 100}}})
	if err != nil || res.ExemptionReason != ReasonInclusiveTaxExceedsPrice || res.Lines[0].Tax != 0 {
		t.Fatalf("Oregon 911 tax above an inclusive price: got %+v, %v", res, err)
	}
}
