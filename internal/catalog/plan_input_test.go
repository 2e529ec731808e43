package catalog

import (
	"reflect"
	"testing"

	"cellgate/internal/errs"
	"cellgate/internal/optional"
)

// TestSIMTypesCanonicalOrder: a write answers with the order a read gives.
func TestSIMTypesCanonicalOrder(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"pSIM", "eSIM"}, []string{"eSIM", "pSIM"}},
		{[]string{"eSIM", "pSIM"}, []string{"eSIM", "pSIM"}},
		{[]string{"pSIM"}, []string{"pSIM"}},
	} {
		var p Plan
		if err := (PlanInput{SimTypes: optional.Of(c.in)}).applyTo(&p, nil); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.SimTypes, c.want) {
			t.Errorf("%v stored as %v, want %v", c.in, p.SimTypes, c.want)
		}
	}
}

// TestValidityBounds: a period lasts 1-365 days or 1-12 months, and a
// oneTime plan has exactly one period.
func TestValidityBounds(t *testing.T) {
	for _, c := range []struct {
		value    int
		unit     string
		typ      string
		min      int // 0: not given
		wantCode string
	}{
		{1, UnitDay, ValidityRecurring, 0, ""},
		{365, UnitDay, ValidityRecurring, 0, ""},
		{366, UnitDay, ValidityRecurring, 0, "valueOutOfRange"},
		{12, UnitMonth, ValidityRecurring, 36, ""},
		{13, UnitMonth, ValidityRecurring, 0, "valueOutOfRange"},
		{1, UnitMonth, ValidityRecurring, 37, "valueOutOfRange"},
		{30, UnitDay, ValidityOneTime, 1, ""},
		{30, UnitDay, ValidityOneTime, 2, "validityInvalid"},
	} {
		in := ValidityInput{Value: optional.Of(c.value), Unit: optional.Of(c.unit), Type: optional.Of(c.typ)}
		if c.min != 0 {
			in.MinimumPeriods = optional.Of(c.min)
		}
		v, err := in.build()
		if c.wantCode == "" {
			if err != nil {
				t.Errorf("%+v rejected: %v", c, err)
			} else if c.min == 0 && v.MinimumPeriods != 1 {
				t.Errorf("%+v: minimumPeriods defaults to %d, want 1", c, v.MinimumPeriods)
			}
			continue
		}
		if e, ok := errs.As(err); !ok || e.Code != c.wantCode {
			t.Errorf("%+v: err %v, want %s", c, err, c.wantCode)
		}
	}
}
