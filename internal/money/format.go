package money

import "fmt"

// Format shows minor units as a decimal amount with the currency, as
// people read it: 1234 USD is "12.34 USD", 500 JPY is "500 JPY".
func Format(amount int64, currency string) string {
	digits := MinorDigits(currency)
	if digits == 0 {
		return fmt.Sprintf("%d %s", amount, currency)
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	scale := int64(1)
	for range digits {
		scale *= 10
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, amount/scale, digits, amount%scale, currency)
}
