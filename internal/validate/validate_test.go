package validate

import "testing"

func TestFormats(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) error
		ok    []string
		bad   []string
	}{
		{"email", func(v string) error { return Email("email", v) },
			[]string{"jerry@example.com", "a.b+c@sub.example.co.uk"},
			[]string{"", "jerry", "jerry@localhost", "Jerry <jerry@example.com>", "jerry@example.com "}},
		{"locale", func(v string) error { return Locale("preferredLocale", v) },
			[]string{"en", "en-US", "zh-Hant-TW", "es-419"},
			[]string{"", "EN-us", "en_US", "english"}},
		{"phone", func(v string) error { return PhoneNumber("phone", v) },
			[]string{"+14155550100", "+447700900123"},
			[]string{"", "14155550100", "+0123456789", "+1 415 555 0100"}},
		{"oneOf", func(v string) error { return OneOf("status", v, "a", "b") }, []string{"a", "b"}, []string{"", "c", "A"}},
	}
	for _, tt := range tests {
		for _, v := range tt.ok {
			if err := tt.check(v); err != nil {
				t.Errorf("%s(%q) = %v, want ok", tt.name, v, err)
			}
		}
		for _, v := range tt.bad {
			if err := tt.check(v); err == nil {
				t.Errorf("%s(%q) accepted", tt.name, v)
			}
		}
	}
}
