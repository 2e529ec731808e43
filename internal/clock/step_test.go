package clock

import (
	"strings"
	"testing"
	"time"
)

// TestClockStepsAddCalendarUnits: the table of accepted steps, each from
// January 31, 2030 at 10:00 UTC; months clamp the day as renewals do.
func TestClockStepsAddCalendarUnits(t *testing.T) {
	from := time.Date(2030, 1, 31, 10, 0, 0, 0, time.UTC)
	for text, want := range map[string]string{
		"36h":        "2030-02-01T22:00:00Z",
		"90m":        "2030-01-31T11:30:00Z",
		"0s":         "2030-01-31T10:00:00Z",
		"31d":        "2030-03-03T10:00:00Z",
		"2w":         "2030-02-14T10:00:00Z",
		"1mo":        "2030-02-28T10:00:00Z",
		"2mo":        "2030-03-31T10:00:00Z",
		"1y":         "2031-01-31T10:00:00Z",
		"1mo15d":     "2030-03-15T10:00:00Z",
		"1d12h":      "2030-02-01T22:00:00Z",
		"P1M":        "2030-02-28T10:00:00Z",
		"P1Y2M":      "2031-03-31T10:00:00Z",
		"P31D":       "2030-03-03T10:00:00Z",
		"P1W":        "2030-02-07T10:00:00Z",
		"P1DT12H":    "2030-02-01T22:00:00Z",
		"PT90M":      "2030-01-31T11:30:00Z",
		"P1MT1H1M1S": "2030-02-28T11:01:01Z",
	} {
		s, err := ParseStep(text)
		if err != nil {
			t.Errorf("ParseStep(%q): %v", text, err)
			continue
		}
		if got := s.From(from).Format(time.RFC3339); got != want {
			t.Errorf("%q from %s = %s, want %s", text, from.Format(time.RFC3339), got, want)
		}
	}
	for _, bad := range []string{"", "-1h", "1", "mo", "1month", "P", "PT", "P1", "1M", "p1m", "P1.5M", "1mo-1d", "31 d", "999999999y"} {
		if _, err := ParseStep(bad); err == nil {
			t.Errorf("ParseStep(%q) accepted", bad)
		}
	}
}

// TestClockTargetNeedsATimeOfDay: a date alone is refused with the form
// expected, never Go's layout text.
func TestClockTargetNeedsATimeOfDay(t *testing.T) {
	if got, err := ParseTime("2030-01-31T12:00:00+02:00"); err != nil || !got.Equal(time.Date(2030, 1, 31, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseTime with an offset = %v, %v", got, err)
	}
	for text, shows := range map[string]string{
		"2030-01-31":          `"2030-01-31T00:00:00Z"`,
		"2030-01-31T12:00:00": `"2030-01-31T12:00:00Z"`,
		"tomorrow":            `"2030-01-31T12:00:00Z"`,
	} {
		_, err := ParseTime(text)
		if err == nil || !strings.Contains(err.Error(), shows) || strings.Contains(err.Error(), "2006") {
			t.Errorf("ParseTime(%q) error = %v, want one showing %s", text, err, shows)
		}
	}
}
