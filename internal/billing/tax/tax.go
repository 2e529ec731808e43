// Package tax computes the taxes of invoice and quote lines (docs/billing.md
// §4-§5). Every amount is an int64 count of minor units; rates are integers
// in parts per million, so no float ever touches money.
package tax

import (
	"context"
	"errors"
	"math"
	"math/bits"
	"time"

	"cellgate/internal/money"
)

// Tax behaviours: the plan price excludes or includes the taxes.
const (
	Exclusive = "exclusive"
	Inclusive = "inclusive"
)

// Tax types.
const (
	TypeSalesTax   = "salesTax"
	TypeTelecomFee = "telecomFee"
)

// Exemption reasons (taxExemptionReason), in order of precedence.
const (
	ReasonCalculationFailed        = "calculationFailed"
	ReasonFullyDiscounted          = "fullyDiscounted"
	ReasonInclusiveTaxExceedsPrice = "inclusiveTaxExceedsPrice"
	ReasonUserExempted             = "userExempted"
)

// PPMScale is 100 % in parts per million.
const PPMScale = 1_000_000

// Jurisdiction is where the taxes apply: from an address, or
// {Country: project taxCountry} when there is none.
type Jurisdiction struct{ Country, State, PostalCode string }

// Line is one priced line: the plan for a period.
type Line struct {
	Key             string
	Price, Discount int64
}

// Request asks for the taxes of some lines.
type Request struct {
	Jurisdiction Jurisdiction
	Currency     string
	Behavior     string // Exclusive or Inclusive
	Lines        []Line
	At           time.Time // rates in force at At
}

// Tax is one tax on one line.
type Tax struct {
	Type         string // TypeSalesTax or TypeTelecomFee
	Name         string // "California Sales Tax"
	Jurisdiction string // "US-CA", or "US" for a national tax
	PPM          *int64 // nil for a flat tax
	Amount       int64
}

// LineResult is a line with its taxes. Amount is the net price: the price
// when exclusive, the price less its taxes when inclusive.
type LineResult struct {
	Key                   string
	Amount, Discount, Tax int64
	Taxes                 []Tax
}

// Result is the taxes of every line of a request.
type Result struct {
	Lines           []LineResult
	ExemptionReason string // "" = none
}

// Calculator computes taxes. The built-in one reads rate files; another
// (a tax service) can replace it.
type Calculator interface {
	Calculate(ctx context.Context, r Request) (Result, error)
}

// ErrOverflow is an amount too large for int64 minor units (a 422).
var ErrOverflow = money.ErrOverflow

// RoundDiv is a·b/c rounded half up, for a, b ≥ 0 and c > 0, with a 128-bit
// intermediate so the product never overflows. Half up (not banker's): US
// invoicing rounds half a cent up, and receipts are checked that way.
func RoundDiv(a, b, c int64) (int64, error) {
	if a < 0 || b < 0 || c <= 0 {
		return 0, errors.New("tax: RoundDiv needs a, b ≥ 0 and c > 0")
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	var carry uint64
	lo, carry = bits.Add64(lo, uint64(c)/2, 0)
	hi += carry
	if hi >= uint64(c) {
		return 0, ErrOverflow
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return 0, ErrOverflow
	}
	return int64(q), nil
}

// rate is one tax of a jurisdiction: a percentage in ppm, or a flat amount
// per line and period.
type rate struct {
	typ, name, jurisdiction string
	ppm                     *int64
	flat                    int64
}

// computeLine applies the rules of docs/billing.md §4 to one line. It
// reports whether an inclusive price was smaller than its flat taxes.
func computeLine(l Line, behavior string, rates []rate) (LineResult, bool, error) {
	if l.Price < 0 || l.Discount < 0 || l.Discount > l.Price {
		return LineResult{}, false, errors.New("tax: line needs 0 ≤ discount ≤ price")
	}
	base := l.Price - l.Discount
	res := LineResult{Key: l.Key, Amount: l.Price, Discount: l.Discount, Taxes: []Tax{}}
	if base == 0 {
		return res, false, nil
	}
	switch behavior {
	case Exclusive:
		for _, r := range rates {
			amount := r.flat
			if r.ppm != nil {
				var err error
				if amount, err = RoundDiv(base, *r.ppm, PPMScale); err != nil {
					return LineResult{}, false, err
				}
			}
			res.Taxes = append(res.Taxes, r.tax(amount))
			var err error
			if res.Tax, err = money.Add(res.Tax, amount); err != nil {
				return LineResult{}, false, err
			}
		}
		return res, false, nil
	case Inclusive:
		return inclusiveLine(res, base, rates)
	}
	return LineResult{}, false, errors.New("tax: unknown behavior " + behavior)
}

// inclusiveLine takes the taxes out of a gross price: flat taxes first,
// then the percentages from what is left, so that net + taxes = gross.
func inclusiveLine(res LineResult, gross int64, rates []rate) (LineResult, bool, error) {
	var flatAcc, ppmAcc money.Acc
	for _, r := range rates {
		if r.ppm == nil {
			flatAcc.Add(r.flat)
		} else {
			ppmAcc.Add(*r.ppm)
		}
	}
	if flatAcc.Err != nil || ppmAcc.Err != nil {
		return LineResult{}, false, ErrOverflow
	}
	flat, sumPPM := flatAcc.Total, ppmAcc.Total
	rest := gross - flat
	if rest < 0 {
		return res, true, nil
	}
	net, err := RoundDiv(rest, PPMScale, PPMScale+sumPPM)
	if err != nil {
		return LineResult{}, false, err
	}
	total := rest - net
	amounts := make([]int64, len(rates))
	var sum money.Acc
	for i, r := range rates {
		if r.ppm == nil {
			amounts[i] = r.flat
			continue
		}
		if amounts[i], err = RoundDiv(net, *r.ppm, PPMScale); err != nil {
			return LineResult{}, false, err
		}
		sum.Add(amounts[i])
	}
	if sum.Err != nil {
		return LineResult{}, false, sum.Err
	}
	// Per-tax rounding can miss the percentage total by a few units; the
	// largest rate absorbs the difference so the line still adds up.
	if diff := total - sum.Total; diff != 0 {
		for _, i := range byRateDesc(rates) {
			if amounts[i]+diff >= 0 {
				amounts[i] += diff
				break
			}
		}
	}
	res.Amount, res.Tax = 0, 0
	for i, r := range rates {
		res.Taxes = append(res.Taxes, r.tax(amounts[i]))
	}
	if res.Tax, err = money.Sum(amounts...); err != nil {
		return LineResult{}, false, err
	}
	res.Amount = res.Discount + net
	// amount = P − tax: with gross = P − D and tax = flat + (rest − net),
	// P − tax = D + net.
	return res, false, nil
}

// byRateDesc lists the indexes of the percentage rates, largest first,
// file order on a tie.
func byRateDesc(rates []rate) []int {
	var out []int
	for i, r := range rates {
		if r.ppm == nil {
			continue
		}
		j := len(out)
		out = append(out, i)
		for j > 0 && *rates[out[j-1]].ppm < *r.ppm {
			out[j], out[j-1] = out[j-1], out[j]
			j--
		}
	}
	return out
}

func (r rate) tax(amount int64) Tax {
	return Tax{Type: r.typ, Name: r.name, Jurisdiction: r.jurisdiction, PPM: r.ppm, Amount: amount}
}
