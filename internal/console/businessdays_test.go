package console

import (
	"testing"
	"time"
)

func TestBusinessDaysSkipWeekends(t *testing.T) {
	fri := time.Date(2030, 1, 4, 15, 0, 0, 0, time.UTC) // a Friday
	for _, c := range []struct {
		to   time.Time
		want int
	}{
		{fri.Add(time.Hour), 0},
		{fri.AddDate(0, 0, 1), 0}, // Saturday
		{fri.AddDate(0, 0, 2), 0}, // Sunday
		{fri.AddDate(0, 0, 3), 1}, // Monday
		{fri.AddDate(0, 0, 7), 5}, // next Friday
	} {
		if got := businessDaysBetween(fri, c.to); got != c.want {
			t.Errorf("business days from %s to %s = %d, want %d", fri.Format(time.DateOnly), c.to.Format(time.DateOnly), got, c.want)
		}
	}
}
