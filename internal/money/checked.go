package money

import (
	"math"

	"cellgate/internal/errs"
)

// MaxAmount is the largest amount the API accepts in any field, in minor
// units (10^12: ten billion dollars). Totals of bounded amounts stay far
// from the int64 limit, and every sum is still checked.
const MaxAmount int64 = 1_000_000_000_000

// ErrOverflow is a total that int64 minor units cannot hold. It is a 422:
// the request asked for an amount cellgate cannot represent, not a bug.
var ErrOverflow = errs.Invalid("amountOverflow", "The amounts of this request add up to more than cellgate can represent.")

// CheckAmount rejects an amount outside 0..MaxAmount; field names it.
func CheckAmount(field string, v int64) error {
	if v < 0 {
		return errs.Invalid("amountInvalid", "%s must be an integer of 0 or more; got %d.", field, v)
	}
	if v > MaxAmount {
		return errs.Invalid("amountTooLarge", "%s must be at most %d minor units; got %d.", field, MaxAmount, v)
	}
	return nil
}

// Add is a + b, or ErrOverflow.
func Add(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Sub is a − b, or ErrOverflow.
func Sub(a, b int64) (int64, error) {
	if b == math.MinInt64 {
		if a >= 0 {
			return 0, ErrOverflow
		}
		return a - b, nil
	}
	return Add(a, -b)
}

// Sum adds all of vs, or ErrOverflow.
func Sum(vs ...int64) (int64, error) {
	var s int64
	for _, v := range vs {
		var err error
		if s, err = Add(s, v); err != nil {
			return 0, err
		}
	}
	return s, nil
}

// Acc accumulates a sum and remembers the first overflow, for loops that
// add many amounts: check Err once at the end.
type Acc struct {
	Total int64
	Err   error
}

// Add adds v to the total unless an overflow already happened.
func (a *Acc) Add(v int64) {
	if a.Err == nil {
		a.Total, a.Err = Add(a.Total, v)
	}
}

// Sub subtracts v from the total unless an overflow already happened.
func (a *Acc) Sub(v int64) {
	if a.Err == nil {
		a.Total, a.Err = Sub(a.Total, v)
	}
}
