// Package clock holds cellgate's calendar rules: how periods are measured
// from a renewal anchor. Everything is computed in UTC.
package clock

import "time"

// Units of a period, as plans name them.
const (
	Day   = "day"
	Month = "month"
)

// PeriodBoundary returns the start of period n+1 (n counted from 0) of a
// schedule that began at anchor with periods of value units. Month periods
// are measured from the anchor, not from the previous boundary, so the
// anchor day comes back whenever the month has it: Jan 31 → Feb 28 (29 in a
// leap year) → Mar 31. Day periods add whole days of 24 hours.
func PeriodBoundary(anchor time.Time, unit string, value, n int) time.Time {
	anchor = anchor.UTC()
	if unit == Day {
		return anchor.AddDate(0, 0, value*n)
	}
	y, m, d := anchor.Date()
	total := int(m) - 1 + value*n
	ty, tm := y+floorDiv(total, 12), time.Month(floorMod(total, 12)+1)
	if last := DaysIn(ty, tm); d > last {
		d = last
	}
	h, mi, s := anchor.Clock()
	return time.Date(ty, tm, d, h, mi, s, anchor.Nanosecond(), time.UTC)
}

// DaysIn is the number of days of a month.
func DaysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }
