package clock

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Step is an amount to move a clock by: calendar months and days, then an
// exact duration. Months follow the calendar rules of PeriodBoundary
// (January 31 plus one month is February 28), so "1mo" from any moment
// lands where a monthly renewal would.
type Step struct {
	Months int
	Days   int
	Exact  time.Duration
}

// From is t moved by the step: months first, then days, then the exact
// part, as ISO 8601 adds a duration's components.
func (s Step) From(t time.Time) time.Time {
	if s.Months != 0 {
		t = PeriodBoundary(t, Month, s.Months, 1)
	}
	return t.UTC().AddDate(0, 0, s.Days).Add(s.Exact)
}

// StepForms names the accepted forms, for error messages.
const StepForms = `a Go duration ("36h", "90m"), days, weeks, months or years ("31d", "2w", "1mo", "1y", combined as "1mo15d") or ISO 8601 ("P1M", "P1DT12H")`

// errStep is returned for any text that is none of StepForms.
var errStep = errors.New("not a step")

var (
	unitStep = regexp.MustCompile(`^(?:(\d+)(y|mo|w|d|h|m|s))+$`)
	unitPart = regexp.MustCompile(`(\d+)(y|mo|w|d|h|m|s)`)
	isoStep  = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)
)

// ParseStep reads a step in one of StepForms. Negative steps do not
// exist: a clock only moves forward.
func ParseStep(text string) (Step, error) {
	if d, err := time.ParseDuration(text); err == nil {
		if d < 0 {
			return Step{}, errStep
		}
		return Step{Exact: d}, nil
	}
	var s Step
	add := func(n, unit string) error {
		v, err := strconv.Atoi(n)
		if err != nil || v > 100000 {
			return errStep
		}
		switch unit {
		case "y", "Y":
			s.Months += 12 * v
		case "mo", "M":
			s.Months += v
		case "w", "W":
			s.Days += 7 * v
		case "d", "D":
			s.Days += v
		case "h", "H":
			s.Exact += time.Duration(v) * time.Hour
		case "m", "TM":
			s.Exact += time.Duration(v) * time.Minute
		case "s", "S":
			s.Exact += time.Duration(v) * time.Second
		}
		return nil
	}
	switch {
	case unitStep.MatchString(text):
		for _, m := range unitPart.FindAllStringSubmatch(text, -1) {
			if err := add(m[1], m[2]); err != nil {
				return Step{}, err
			}
		}
	case text != "P" && !strings.HasSuffix(text, "T") && isoStep.MatchString(text):
		m := isoStep.FindStringSubmatch(text)
		for i, unit := range []string{"Y", "M", "W", "D", "H", "TM", "S"} {
			if m[i+1] != "" {
				if err := add(m[i+1], unit); err != nil {
					return Step{}, err
				}
			}
		}
	default:
		return Step{}, errStep
	}
	return s, nil
}

// ParseTime reads an RFC 3339 time. A date alone, or a time without an
// offset, is refused with the form expected rather than a parser's error.
func ParseTime(text string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		example := "2030-01-31T12:00:00Z"
		if d, derr := time.Parse(time.DateOnly, text); derr == nil {
			example = d.Format("2006-01-02") + "T00:00:00Z"
		}
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time: give a date, a time of day and an offset, such as %q", text, example)
	}
	return t.UTC(), nil
}
