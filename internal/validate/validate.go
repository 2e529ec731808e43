// Package validate holds the small checks that many request bodies share.
// Each returns an invalid error whose message names the field.
package validate

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"cellgate/internal/errs"
)

// OneOf checks that value is one of allowed.
func OneOf(field, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return errs.Invalid("invalidEnumValue", "%s must be one of %s; got %q.", field, strings.Join(allowed, ", "), value)
}

// Required checks that a string field is present and not blank.
func Required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return errs.Invalid("fieldRequired", "%s is required.", field)
	}
	return nil
}

// MaxLength checks a string's length in characters.
func MaxLength(field, value string, n int) error {
	if len([]rune(value)) > n {
		return errs.Invalid("fieldTooLong", "%s must be at most %d characters.", field, n)
	}
	return nil
}

// Email checks a bare address such as jerry@example.com.
func Email(field, value string) error {
	a, err := mail.ParseAddress(value)
	if err != nil || a.Address != value || a.Name != "" || !strings.Contains(value[strings.LastIndex(value, "@")+1:], ".") {
		return errs.Invalid("emailInvalid", "%s %q is not a valid email address.", field, value)
	}
	return MaxLength(field, value, 254)
}

// Date checks a calendar date such as 2017-07-21 and returns it.
func Date(field, value string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, value)
	if err != nil {
		return t, errs.Invalid("dateInvalid", "%s must be a date in the form YYYY-MM-DD; got %q.", field, value)
	}
	return t, nil
}

var localePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$`)

// Locale checks an IETF language tag of the usual shapes: en, en-US, zh-Hant-TW.
func Locale(field, value string) error {
	if !localePattern.MatchString(value) {
		return errs.Invalid("localeInvalid", "%s must be an IETF language tag such as en-US; got %q.", field, value)
	}
	return nil
}

var e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// PhoneNumber checks an E.164 number such as +14155550100.
func PhoneNumber(field, value string) error {
	if !e164Pattern.MatchString(value) {
		return errs.Invalid("phoneNumberInvalid", "%s must be an E.164 phone number such as +14155550100; got %q.", field, value)
	}
	return nil
}

// NotNull rejects an explicit null where a value is required.
func NotNull(field string, isNull bool) error {
	if isNull {
		return errs.Invalid("fieldNotNullable", "%s must not be null.", field)
	}
	return nil
}

// Range checks an integer bound.
func Range(field string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return errs.Invalid("valueOutOfRange", "%s must be between %d and %d; got %s.", field, lo, hi, fmt.Sprint(v))
	}
	return nil
}
