package metadata

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"cellgate/internal/errs"
)

func s(v string) *string { return &v }

func keys(n int) Map {
	m := Map{}
	for i := range n {
		m[fmt.Sprintf("k%02d", i)] = "v"
	}
	return m
}

// TestApplyRules: the documented update rules (reference §1.3).
func TestApplyRules(t *testing.T) {
	current := Map{"a": "1", "b": "2"}
	for _, c := range []struct {
		name string
		u    Update
		want Map
	}{
		{"add", Update{"c": s("3")}, Map{"a": "1", "b": "2", "c": "3"}},
		{"replace", Update{"a": s("one")}, Map{"a": "one", "b": "2"}},
		{"delete", Update{"a": nil}, Map{"b": "2"}},
		{"delete missing", Update{"zz": nil}, Map{"a": "1", "b": "2"}},
		{"set empty", Update{"a": s("")}, Map{"a": "", "b": "2"}},
		{"empty update", Update{}, Map{"a": "1", "b": "2"}},
		{"nil update", nil, Map{"a": "1", "b": "2"}},
		{"mixed", Update{"a": nil, "b": s("B"), "c": s("")}, Map{"b": "B", "c": ""}},
	} {
		got, err := Apply(current, c.u)
		if err != nil || !maps.Equal(got, c.want) {
			t.Errorf("%s: Apply = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if !maps.Equal(current, Map{"a": "1", "b": "2"}) {
		t.Errorf("Apply modified current: %v", current)
	}
	if got, err := Apply(nil, Update{"a": s("1")}); err != nil || !maps.Equal(got, Map{"a": "1"}) {
		t.Errorf("Apply on nil = %v, %v", got, err)
	}
}

// TestApplyLimits: 10 keys, keys up to 40 characters, values up to 255,
// no emoji, no reserved keys. Lengths count characters, not bytes.
func TestApplyLimits(t *testing.T) {
	ok := []struct {
		name    string
		current Map
		u       Update
	}{
		{"10 keys", nil, Update{"k00": s("v"), "k01": s("v"), "k02": s("v"), "k03": s("v"), "k04": s("v"),
			"k05": s("v"), "k06": s("v"), "k07": s("v"), "k08": s("v"), "k09": s("v")}},
		{"replace at 10", keys(10), Update{"k00": s("new")}},
		{"swap at 10", keys(10), Update{"k00": nil, "new": s("v")}},
		{"delete from 11", keys(11), Update{"k00": nil}},
		{"key of 40", nil, Update{strings.Repeat("k", 40): s("v")}},
		{"key of 40 two-byte letters", nil, Update{strings.Repeat("ß", 40): s("v")}},
		{"value of 255", nil, Update{"k": s(strings.Repeat("v", 255))}},
		{"value of 255 CJK", nil, Update{"k": s(strings.Repeat("東", 255))}},
		{"non-emoji symbols", nil, Update{"k": s("© ® ™ → € ½ ü ñ 日本 ∑")}},
		{"platform keys do not count", Map{"gigs.com/a": "x", "gigs.com/b": "y"}, func() Update {
			u := Update{}
			for k, v := range keys(10) {
				u[k] = s(v)
			}
			return u
		}()},
	}
	for _, c := range ok {
		if _, err := Apply(c.current, c.u); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	bad := []struct {
		name    string
		current Map
		u       Update
		says    string
	}{
		{"11th key", keys(10), Update{"k10": s("v")}, "10"},
		{"key of 41", nil, Update{strings.Repeat("k", 41): s("v")}, "40"},
		{"key of 41 two-byte letters", nil, Update{strings.Repeat("ß", 41): s("v")}, "40"},
		{"value of 256", nil, Update{"k": s(strings.Repeat("v", 256))}, "255"},
		{"empty key", nil, Update{"": s("v")}, "empty"},
		{"reserved key", nil, Update{"gigs.com/x": s("v")}, "reserved"},
		{"delete a reserved key", Map{"gigs.com/x": "v"}, Update{"gigs.com/x": nil}, "reserved"},
		{"emoji key", nil, Update{"😀": s("v")}, "emoji"},
		{"long key checked before deletion", nil, Update{strings.Repeat("k", 41): nil}, "40"},
	}
	for _, e := range []string{"😀", "👍🏽", "🇩🇪", "❤️", "☕", "✅", "⭐", "⌚", "⏰", "⬛", "1️⃣", "👨‍👩‍👧", "🫠", "🀄"} {
		bad = append(bad, struct {
			name    string
			current Map
			u       Update
			says    string
		}{"emoji " + e, nil, Update{"k": s("before " + e + " after")}, "emoji"})
	}
	for _, c := range bad {
		_, err := Apply(c.current, c.u)
		e, isErr := errs.As(err)
		if !isErr || e.Kind != errs.KindInvalid || e.Code != "metadataInvalid" || !strings.Contains(e.Message, c.says) {
			t.Errorf("%s: err = %v, want invalid metadataInvalid mentioning %q", c.name, err, c.says)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, m := range []Map{nil, {}, {"a": "1", "": "x", "q\"": "\u00e9"}} {
		text := Marshal(m)
		if len(m) == 0 && text != "{}" {
			t.Errorf("Marshal(%v) = %q, want {}", m, text)
		}
		back, err := Unmarshal(text)
		if err != nil || back == nil || !maps.Equal(back, m) && len(m) > 0 {
			t.Errorf("round trip of %v: %v, %v", m, back, err)
		}
	}
	if m, err := Unmarshal(""); err != nil || m == nil || len(m) != 0 {
		t.Errorf("Unmarshal(\"\") = %v, %v; want an empty map", m, err)
	}
}
