package connectweb

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var cssVar = regexp.MustCompile(`--([a-z-]+):(#[0-9a-fA-F]{6})`)

// palette reads the colour variables of one theme's rule.
func palette(t *testing.T, css, selector string) map[string]string {
	t.Helper()
	i := strings.Index(css, selector+"{")
	if i < 0 {
		t.Fatalf("no %s rule", selector)
	}
	rule := css[i : i+strings.Index(css[i:], "}")]
	out := map[string]string{}
	for _, m := range cssVar.FindAllStringSubmatch(rule, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// luminance is the WCAG 2 relative luminance of #rrggbb.
func luminance(hex string) float64 {
	var l [3]float64
	for i := range 3 {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestConnectThemesMeetContrastAA: in both themes every pair of text and
// background colours the stylesheet uses has a contrast ratio of at least
// 4.5:1 (WCAG 2 AA for normal text).
func TestConnectThemesMeetContrastAA(t *testing.T) {
	raw, err := staticFS.ReadFile("static/connect.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(raw)
	pairs := [][2]string{{"fg", "bg"}, {"muted", "bg"}, {"accent", "bg"}, {"error", "bg"}, {"on-accent", "accent"},
		{"fg", "panel"}, {"muted", "panel"}, {"accent", "panel"}, {"error", "panel"}}
	for _, theme := range []string{":root", "html.dark"} {
		p := palette(t, css, theme)
		for _, pair := range pairs {
			fg, bg := p[pair[0]], p[pair[1]]
			if fg == "" || bg == "" {
				t.Fatalf("%s: --%s or --%s is missing", theme, pair[0], pair[1])
			}
			if r := contrast(fg, bg); r < 4.5 {
				t.Errorf("%s: --%s %s on --%s %s has contrast %.2f, below 4.5", theme, pair[0], fg, pair[1], bg, r)
			}
		}
	}
}

// TestEveryLocaleHasEveryMessage: each locale of the texts has exactly
// the keys of en-US, so a page never shows an empty text.
func TestEveryLocaleHasEveryMessage(t *testing.T) {
	for locale, m := range texts {
		for k := range texts["en-US"] {
			if m[k] == "" {
				t.Errorf("%s lacks %q", locale, k)
			}
		}
		for k := range m {
			if _, ok := texts["en-US"][k]; !ok {
				t.Errorf("%s has %q, which en-US lacks", locale, k)
			}
		}
	}
	if localeOf("en-GB") != "en-US" || localeOf("fr-FR") != "en-US" {
		t.Errorf("fallback locale")
	}
}
