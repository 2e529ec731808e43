package porting

import (
	"slices"
	"strings"
	"testing"

	"cellgate/internal/network"
)

// TestDonorDataIsValid: every donor has an svp_ id, a name, a country
// with at least one default provider, a code and known required fields;
// the simulator knows the porting time of the main US donors by code.
func TestDonorDataIsValid(t *testing.T) {
	carriers := network.Default()
	for id, d := range donors {
		if !strings.HasPrefix(id, "svp_") || len(id) != 26 || d.Name == "" || d.Code == "" || len(d.Requires) == 0 {
			t.Errorf("donor %+v", d)
		}
		if len(recipients(carriers, d.Country)) == 0 && d.Country != "GB" {
			t.Errorf("donor %s: no default provider in %s", d.Name, d.Country)
		}
		for _, f := range d.Requires {
			if !slices.Contains(fieldOrder, f) {
				t.Errorf("donor %s requires %q, not a porting field", d.Name, f)
			}
		}
	}
	days := network.BuiltinProfiles()["test"].Porting.BusinessDays
	for _, code := range []string{"att", "tmobile", "verizon"} {
		if days[code] == 0 {
			t.Errorf("the test profile has no business days for %s", code)
		}
	}
}
