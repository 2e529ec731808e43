package tax

import (
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"cellgate/internal/geo"
)

// TestEmbeddedUSData checks the shipped file: the 50 states and DC, each a
// real state code, rates that parse (Embedded panics otherwise).
func TestEmbeddedUSData(t *testing.T) {
	regions := Embedded().Regions("US")
	sort.Strings(regions)
	if len(regions) != 51 {
		t.Fatalf("us.json has %d regions, want the 50 states and DC: %v", len(regions), regions)
	}
	for _, r := range regions {
		if !geo.ValidUSState(r) || r == "PR" || r == "GU" || r == "VI" || r == "AS" || r == "MP" {
			t.Errorf("region %q is not a state or DC", r)
		}
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, body := range map[string]string{
		"duplicate tax":   `{"country":"US","currency":"USD","national":[],"regions":{"CA":{"name":"C","taxes":[{"type":"salesTax","name":"a","rate":"1"},{"type":"salesTax","name":"a","rate":"2"}]}}}`,
		"bad rate":        `{"country":"US","currency":"USD","national":[{"type":"salesTax","name":"a","rate":"1.23456"}],"regions":{}}`,
		"rate and flat":   `{"country":"US","currency":"USD","national":[{"type":"salesTax","name":"a","rate":"1","flat":3}],"regions":{}}`,
		"unknown type":    `{"country":"US","currency":"USD","national":[{"type":"vat","name":"a","rate":"1"}],"regions":{}}`,
		"unknown field":   `{"country":"US","currency":"USD","national":[],"regions":{},"extra":1}`,
		"no currency":     `{"country":"US","national":[],"regions":{}}`,
		"negative flat":   `{"country":"US","currency":"USD","national":[{"type":"telecomFee","name":"a","flat":-1}],"regions":{}}`,
		"not json at all": `nope`,
	} {
		if _, err := Load(fstest.MapFS{"x.json": {Data: []byte(body)}}); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	good := `{"country":"XX","currency":"EUR","national":[{"type":"salesTax","name":"VAT","rate":"20"}],"regions":{}}`
	b, err := Load(fstest.MapFS{"xx.json": {Data: []byte(good)}, "readme.txt": {Data: []byte("ignored")}})
	if err != nil || b.countries["XX"] == nil || *b.countries["XX"].national[0].ppm != 200_000 {
		t.Fatalf("good file: %v", err)
	}
	if !strings.Contains(string(mustRead(t)), "llustrative") {
		t.Error("us.json must say its figures are illustrative")
	}
}

func mustRead(t *testing.T) []byte {
	t.Helper()
	raw, err := embedded.ReadFile("taxdata/us.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
