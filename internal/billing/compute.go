// Package billing is the billing engine of docs/billing.md: amounts of
// invoices and quotes, and the quotes themselves.
package billing

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"cellgate/internal/billing/tax"
	"cellgate/internal/money"
)

// FeeRecovery is the type of the recovery fee.
const FeeRecovery = "recoveryFee"

// Fee is an amount added on top of the taxed lines; it carries no taxes.
type Fee struct {
	Amount int64  `json:"amount"`
	Name   string `json:"name"`
	Type   string `json:"type"`
}

// Input is what the amounts of an invoice or quote depend on.
type Input struct {
	// Jurisdiction is nil when neither an address nor the project's
	// taxCountry is known: the taxes then cannot be calculated.
	Jurisdiction *tax.Jurisdiction
	Currency     string
	Behavior     string // tax.Exclusive or tax.Inclusive
	Lines        []tax.Line
	RecoveryBPS  int64 // recovery fee in basis points
}

// Amounts is the computed money of an invoice or quote (docs/billing.md
// §4): total = subtotal − discount + tax + Σ fees, exactly.
type Amounts struct {
	Lines           []tax.LineResult
	Subtotal        int64
	Discount        int64
	Tax             int64
	Fees            []Fee
	FeesTotal       int64
	Total           int64
	ExemptionReason string // "" = none
}

// DefaultCalculator is the built-in calculator on the shipped rate data.
var DefaultCalculator = sync.OnceValue(func() tax.Calculator { return tax.Embedded() })

// Compute prices the lines: taxes from calc, then the recovery fee and the
// totals. A calculator error or an inconsistent result never breaks the
// identities: the lines are then untaxed and the reason calculationFailed.
func Compute(ctx context.Context, calc tax.Calculator, in Input) (Amounts, error) {
	lines, reason := taxLines(ctx, calc, in)
	var a Amounts
	a.Lines = lines
	var sub, disc, tx money.Acc
	for _, l := range lines {
		sub.Add(l.Amount)
		disc.Add(l.Discount)
		tx.Add(l.Tax)
	}
	for _, err := range []error{sub.Err, disc.Err, tx.Err} {
		if err != nil {
			return Amounts{}, err
		}
	}
	a.Subtotal, a.Discount, a.Tax = sub.Total, disc.Total, tx.Total
	a.Fees = []Fee{}
	if base := a.Subtotal - a.Discount; base > 0 && in.RecoveryBPS > 0 {
		fee, err := tax.RoundDiv(base, in.RecoveryBPS, 10_000)
		if err != nil {
			return Amounts{}, err
		}
		if fee > 0 {
			a.Fees = append(a.Fees, Fee{Amount: fee, Name: "Recovery Fee", Type: FeeRecovery})
			a.FeesTotal = fee
		}
	}
	base, err := money.Sub(a.Subtotal, a.Discount)
	if err != nil {
		return Amounts{}, err
	}
	if a.Total, err = money.Sum(base, a.Tax, a.FeesTotal); err != nil {
		return Amounts{}, err
	}
	if a.Tax == 0 {
		a.ExemptionReason = exemption(reason, in.Lines)
	}
	return a, nil
}

// taxLines asks the calculator and checks its answer; on failure every
// line is untaxed and the reason is calculationFailed.
func taxLines(ctx context.Context, calc tax.Calculator, in Input) ([]tax.LineResult, string) {
	if in.Jurisdiction != nil {
		res, err := calc.Calculate(ctx, tax.Request{Jurisdiction: *in.Jurisdiction, Currency: in.Currency, Behavior: in.Behavior, Lines: in.Lines})
		if err == nil && consistent(in, res) {
			return res.Lines, res.ExemptionReason
		}
	}
	out := make([]tax.LineResult, len(in.Lines))
	for i, l := range in.Lines {
		out[i] = tax.LineResult{Key: l.Key, Amount: l.Price, Discount: l.Discount, Taxes: []tax.Tax{}}
	}
	return out, tax.ReasonCalculationFailed
}

// consistent is the engine's check of a calculator's result (§5).
func consistent(in Input, res tax.Result) bool {
	if len(res.Lines) != len(in.Lines) {
		return false
	}
	for i, l := range res.Lines {
		want := in.Lines[i]
		var sum money.Acc
		for _, x := range l.Taxes {
			if x.Amount < 0 {
				return false
			}
			sum.Add(x.Amount)
		}
		if sum.Err != nil || l.Key != want.Key || l.Discount != want.Discount || l.Tax != sum.Total || l.Amount < 0 || l.Tax < 0 {
			return false
		}
		if in.Behavior == tax.Exclusive && l.Amount != want.Price {
			return false
		}
		if gross, err := money.Add(l.Amount, l.Tax); in.Behavior == tax.Inclusive && (err != nil || gross != want.Price) {
			return false
		}
	}
	return true
}

// exemption picks the reason of a zero tax, by precedence:
// calculationFailed > fullyDiscounted > inclusiveTaxExceedsPrice. A free
// plan (no price, no discount) has no reason.
func exemption(calcReason string, lines []tax.Line) string {
	free := true
	for _, l := range lines {
		free = free && l.Price == 0 && l.Discount == 0
	}
	if free {
		return ""
	}
	if calcReason == tax.ReasonCalculationFailed {
		return calcReason
	}
	for _, l := range lines {
		if l.Discount > 0 && l.Price == l.Discount {
			return tax.ReasonFullyDiscounted
		}
	}
	return calcReason
}

// Percentage shows a ppm rate as a JSON number in percent ("7.25"),
// exactly, without a float.
func Percentage(ppm *int64) *json.Number {
	if ppm == nil {
		return nil
	}
	whole, frac := *ppm/10_000, *ppm%10_000
	s := strconv.FormatInt(whole, 10)
	if frac != 0 {
		f := strconv.FormatInt(frac+10_000, 10)[1:]
		for f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		s += "." + f
	}
	n := json.Number(s)
	return &n
}
