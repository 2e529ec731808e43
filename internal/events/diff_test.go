package events

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestShallowDiffKeepsOnlyChangedTopLevelFields: previousData names the
// top-level fields that changed, with their old values; a nested object
// that changed at all is included whole; no change is no diff.
func TestShallowDiffKeepsOnlyChangedTopLevelFields(t *testing.T) {
	type nested struct {
		A int `json:"a"`
		B int `json:"b"`
	}
	type res struct {
		Name   string  `json:"name"`
		Note   *string `json:"note"`
		Nested *nested `json:"nested"`
	}
	note := "x"
	base := res{Name: "old", Nested: &nested{A: 1, B: 2}}
	for _, c := range []struct {
		name  string
		after res
		want  string // "" when nothing changed
	}{
		{"nothing", res{Name: "old", Nested: &nested{A: 1, B: 2}}, ""},
		{"one field", res{Name: "new", Nested: &nested{A: 1, B: 2}}, `{"name":"old"}`},
		{"null to value", res{Name: "old", Note: &note, Nested: &nested{A: 1, B: 2}}, `{"note":null}`},
		{"nested field", res{Name: "old", Nested: &nested{A: 1, B: 3}}, `{"nested":{"a":1,"b":2}}`},
		{"nested cleared", res{Name: "old"}, `{"nested":{"a":1,"b":2}}`},
	} {
		prev, changed, err := shallowDiff(base, c.after)
		if err != nil {
			t.Fatal(err)
		}
		if changed != (c.want != "") {
			t.Errorf("%s: changed = %v", c.name, changed)
			continue
		}
		if !changed {
			continue
		}
		var got, want any
		_ = json.Unmarshal(prev, &got)
		_ = json.Unmarshal([]byte(c.want), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: previousData %s, want %s", c.name, prev, c.want)
		}
	}
}

func TestNormalizeEventType(t *testing.T) {
	Register(CellgatePrefix + "test.registered")
	for in, want := range map[string]bool{
		"user.created": true, "com.gigs.user.created": true, "com.gigs.project.updated": true,
		"user.exploded": false, "User.Created": false, "com.gigs.": false, "": false, "gigs.user.created": false,
		"com.cellgate.test.registered": true, "com.gigs.com.cellgate.test.registered": false, "test.registered": false,
		"com.gigs.test.registered": false, "com.cellgate.user.created": false,
	} {
		full, ok := Normalize(in)
		if ok != want {
			t.Errorf("Normalize(%q) ok = %v, want %v", in, ok, want)
		}
		if ok && full != in && full != TypePrefix+in {
			t.Errorf("Normalize(%q) = %q", in, full)
		}
	}
}
