package money

import "fmt"

// Format shows minor units as a decimal amount with the currency, such as
// "12.50 USD" (the console's and the Connect pages' form).
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
