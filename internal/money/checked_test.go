package money_test

import (
	"errors"
	"math"
	"testing"

	"cellgate/internal/errs"
	"cellgate/internal/money"
)

// TestCheckedArithmeticNeverWraps: sums and differences that int64 cannot
// hold are ErrOverflow, a 422 invalid error, and never a wrapped value.
func TestCheckedArithmeticNeverWraps(t *testing.T) {
	const max, min = math.MaxInt64, math.MinInt64
	for _, c := range []struct {
		name     string
		f        func() (int64, error)
		want     int64
		overflow bool
	}{
		{"add", func() (int64, error) { return money.Add(2, 3) }, 5, false},
		{"add to the limit", func() (int64, error) { return money.Add(max-1, 1) }, max, false},
		{"add past the limit", func() (int64, error) { return money.Add(max, 1) }, 0, true},
		{"add negatives past the limit", func() (int64, error) { return money.Add(min, -1) }, 0, true},
		{"add opposite signs", func() (int64, error) { return money.Add(max, min) }, -1, false},
		{"sub", func() (int64, error) { return money.Sub(5, 7) }, -2, false},
		{"sub past the limit", func() (int64, error) { return money.Sub(min, 1) }, 0, true},
		{"sub the minimum", func() (int64, error) { return money.Sub(0, min) }, 0, true},
		{"sub the minimum from a negative", func() (int64, error) { return money.Sub(-1, min) }, max, false},
		{"sum", func() (int64, error) { return money.Sum(1, 2, 3) }, 6, false},
		{"sum of two halves", func() (int64, error) { return money.Sum(max/2+1, max/2+1) }, 0, true},
		{"sum that comes back", func() (int64, error) { return money.Sum(max, 1, -1) }, 0, true},
		{"sum of bounded amounts", func() (int64, error) { return money.Sum(money.MaxAmount, money.MaxAmount) }, 2 * money.MaxAmount, false},
	} {
		got, err := c.f()
		switch {
		case c.overflow && !errors.Is(err, money.ErrOverflow):
			t.Errorf("%s: got %d, %v; want ErrOverflow", c.name, got, err)
		case !c.overflow && (err != nil || got != c.want):
			t.Errorf("%s: got %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	var acc money.Acc
	acc.Add(max)
	acc.Add(1)
	acc.Sub(5)
	if !errors.Is(acc.Err, money.ErrOverflow) {
		t.Errorf("Acc kept going after an overflow: %+v", acc)
	}
	if e, ok := errs.As(money.ErrOverflow); !ok || e.Kind != errs.KindInvalid {
		t.Errorf("ErrOverflow is %v, want an invalid (422) error", money.ErrOverflow)
	}
}

// TestAmountBound: 0..10^12 minor units, named in the error.
func TestAmountBound(t *testing.T) {
	for v, code := range map[int64]string{0: "", money.MaxAmount: "", -1: "amountInvalid", money.MaxAmount + 1: "amountTooLarge", math.MaxInt64: "amountTooLarge"} {
		err := money.CheckAmount("price.amount", v)
		e, _ := errs.As(err)
		switch {
		case code == "" && err != nil:
			t.Errorf("%d: %v", v, err)
		case code != "" && (e == nil || e.Code != code || e.Kind != errs.KindInvalid):
			t.Errorf("%d: %v, want %s", v, err, code)
		}
	}
}
