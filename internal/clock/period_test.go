package clock

import (
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestMonthPeriodsKeepTheAnchorDay checks the month arithmetic of
// docs/time.md: boundaries come from the anchor, clamped to the month's end.
func TestMonthPeriodsKeepTheAnchorDay(t *testing.T) {
	tests := []struct {
		name   string
		anchor string
		unit   string
		value  int
		n      int
		want   string
	}{
		{"jan31 to feb in a common year", "2025-01-31T10:00:00Z", Month, 1, 1, "2025-02-28T10:00:00Z"},
		{"jan31 to feb in a leap year", "2024-01-31T10:00:00Z", Month, 1, 1, "2024-02-29T10:00:00Z"},
		{"jan31 back to mar31 after feb", "2025-01-31T10:00:00Z", Month, 1, 2, "2025-03-31T10:00:00Z"},
		{"jan31 to apr30", "2025-01-31T10:00:00Z", Month, 1, 3, "2025-04-30T10:00:00Z"},
		{"jan31 a year later", "2025-01-31T10:00:00Z", Month, 1, 12, "2026-01-31T10:00:00Z"},
		{"feb29 a year later clamps", "2024-02-29T00:00:00Z", Month, 1, 12, "2025-02-28T00:00:00Z"},
		{"feb29 four years later", "2024-02-29T00:00:00Z", Month, 12, 4, "2028-02-29T00:00:00Z"},
		{"mar30 to feb", "2023-01-30T08:30:00Z", Month, 1, 1, "2023-02-28T08:30:00Z"},
		{"two-month periods across the year", "2025-11-30T23:59:59Z", Month, 2, 1, "2026-01-30T23:59:59Z"},
		{"dec to jan crosses the year", "2025-12-15T00:00:00Z", Month, 1, 1, "2026-01-15T00:00:00Z"},
		{"zeroth boundary is the anchor", "2025-05-31T00:00:00Z", Month, 1, 0, "2025-05-31T00:00:00Z"},
		{"30 days over a leap day", "2024-02-15T12:00:00Z", Day, 30, 1, "2024-03-16T12:00:00Z"},
		{"30 days in a common year", "2025-02-15T12:00:00Z", Day, 30, 1, "2025-03-17T12:00:00Z"},
		{"7 days twice", "2025-12-28T00:00:00Z", Day, 7, 2, "2026-01-11T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PeriodBoundary(date(tt.anchor), tt.unit, tt.value, tt.n)
			if !got.Equal(date(tt.want)) {
				t.Fatalf("PeriodBoundary(%s, %s, %d, %d) = %s, want %s", tt.anchor, tt.unit, tt.value, tt.n, got.Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestDaysIn(t *testing.T) {
	for _, tt := range []struct {
		year  int
		month time.Month
		want  int
	}{{2024, time.February, 29}, {2025, time.February, 28}, {1900, time.February, 28}, {2000, time.February, 29}, {2025, time.December, 31}, {2025, time.April, 30}} {
		if got := DaysIn(tt.year, tt.month); got != tt.want {
			t.Errorf("DaysIn(%d, %s) = %d, want %d", tt.year, tt.month, got, tt.want)
		}
	}
}
