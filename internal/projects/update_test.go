package projects

import (
	"testing"

	"cellgate/internal/errs"
	"cellgate/internal/optional"
)

// TestTaxCountryIsAlpha2OrNull: taxCountry is an assigned ISO 3166-1
// alpha-2 code in upper case; null clears it (docs/billing.md §1).
func TestTaxCountryIsAlpha2OrNull(t *testing.T) {
	for _, c := range []struct {
		name string
		in   optional.Value[string]
		want string // "" means cleared
		ok   bool
	}{
		{"US", optional.Of("US"), "US", true},
		{"DE", optional.Of("DE"), "DE", true},
		{"null clears", optional.Value[string]{Set: true, Null: true}, "", true},
		{"lower case", optional.Of("de"), "", false},
		{"alpha-3", optional.Of("DEU"), "", false},
		{"unassigned", optional.Of("XX"), "", false},
		{"empty", optional.Of(""), "", false},
	} {
		got, err := checkTaxCountry(c.in)
		if !c.ok {
			if e, isErr := errs.As(err); !isErr || e.Kind != errs.KindInvalid || e.Code != "taxCountryInvalid" {
				t.Errorf("%s: err = %v, want invalid taxCountryInvalid", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if (got == nil) != (c.want == "") || (got != nil && *got != c.want) {
			t.Errorf("%s: got %v, want %q", c.name, got, c.want)
		}
	}
}
