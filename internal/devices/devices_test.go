package devices

import (
	"slices"
	"strings"
	"testing"
)

// TestDeviceCatalogIsValid: every model has a dmd_ id, a brand, a name,
// SIM types of the reference and a type of the reference.
func TestDeviceCatalogIsValid(t *testing.T) {
	if len(models) < 10 {
		t.Fatalf("%d models in the catalogue", len(models))
	}
	for id, m := range models {
		if !strings.HasPrefix(id, "dmd_") || len(id) != 26 || m.Brand == "" || m.Name == "" || !slices.Contains(ModelTypes, m.Type) || len(m.SIMTypes) == 0 {
			t.Errorf("model %+v", m)
		}
		for _, st := range m.SIMTypes {
			if st != "eSIM" && st != "pSIM" {
				t.Errorf("model %s: SIM type %q", id, st)
			}
		}
	}
}

// TestIMEILuhn holds the check digit rule on published examples.
func TestIMEILuhn(t *testing.T) {
	for imei, want := range map[string]bool{"490154203237518": true, "356938035643809": true, "490154203237519": false,
		"35693803564380": false, "35693803564380x": false, "000000000000000": true} {
		if got := ValidIMEI(imei); got != want {
			t.Errorf("ValidIMEI(%s) = %v, want %v", imei, got, want)
		}
	}
}
