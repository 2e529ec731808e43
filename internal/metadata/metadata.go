// Package metadata holds the rules for the string map that most resources
// carry (reference §1.3): at most 10 keys, keys up to 40 characters, values
// up to 255, no emoji, and the update rules where null deletes one key.
package metadata

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"cellgate/internal/errs"
	"cellgate/internal/optional"
)

// Limits from the reference.
const (
	MaxKeys        = 10
	MaxKeyLength   = 40
	MaxValueLength = 255
	// ReservedPrefix marks keys that only the platform may write.
	ReservedPrefix = "gigs.com"
)

// Map is the stored form.
type Map map[string]string

// Update is the body form: a key mapped to null removes it.
type Update map[string]*string

// Apply merges u into current following the documented rules and checks
// the result. current is not modified.
func Apply(current Map, u Update) (Map, error) {
	out := make(Map, len(current)+len(u))
	for k, v := range current {
		out[k] = v
	}
	for k, v := range u {
		if err := checkKey(k); err != nil {
			return nil, err
		}
		if v == nil {
			delete(out, k)
			continue
		}
		if err := checkValue(k, *v); err != nil {
			return nil, err
		}
		out[k] = *v
	}
	if countOwn(out) > MaxKeys {
		return nil, errs.Invalid("metadataInvalid", "metadata can hold at most %d keys.", MaxKeys)
	}
	return out, nil
}

// countOwn counts the keys a client set: platform keys under the reserved
// prefix do not use up the client's allowance (reference §1.3).
func countOwn(m Map) int {
	n := 0
	for k := range m {
		if !reserved(k) {
			n++
		}
	}
	return n
}

func reserved(k string) bool { return strings.HasPrefix(k, ReservedPrefix) }

func checkKey(k string) error {
	switch {
	case k == "":
		return errs.Invalid("metadataInvalid", "metadata keys must not be empty.")
	case utf8.RuneCountInString(k) > MaxKeyLength:
		return errs.Invalid("metadataInvalid", "metadata key %q is longer than %d characters.", k, MaxKeyLength)
	case reserved(k):
		return errs.Invalid("metadataInvalid", "metadata key %q is reserved: keys starting with %q are read-only.", k, ReservedPrefix)
	case hasEmoji(k):
		return errs.Invalid("metadataInvalid", "metadata key %q contains an emoji, which is not allowed.", k)
	}
	return nil
}

func checkValue(k, v string) error {
	switch {
	case utf8.RuneCountInString(v) > MaxValueLength:
		return errs.Invalid("metadataInvalid", "metadata value of %q is longer than %d characters.", k, MaxValueLength)
	case hasEmoji(v):
		return errs.Invalid("metadataInvalid", "metadata value of %q contains an emoji, which is not allowed.", k)
	}
	return nil
}

// hasEmoji finds pictographs and the symbol ranges emoji live in. Go has no
// Emoji property table; So (other symbol) outside the BMP plus the common
// BMP emoji blocks covers what users type.
func hasEmoji(s string) bool {
	for _, r := range s {
		switch {
		case r >= 0x1F000 && r <= 0x1FAFF, // pictographs, emoticons, transport, symbols
			r >= 0x2600 && r <= 0x27BF,            // miscellaneous symbols, dingbats
			r == 0xFE0F, r == 0x200D, r == 0x20E3: // emoji presentation selector, joiner, keycap
			return true
		case emojiPresentationBMP(r):
			return true
		case r > 0xFFFF && unicode.Is(unicode.So, r):
			return true
		}
	}
	return false
}

// emojiPresentationBMP lists the characters outside the blocks above that
// show as emoji by default, such as ⌚, ⏰, ⬛ and ⭐.
func emojiPresentationBMP(r rune) bool {
	switch {
	case r == 0x231A, r == 0x231B, r >= 0x23E9 && r <= 0x23EC, r == 0x23F0, r == 0x23F3,
		r == 0x25FD, r == 0x25FE, r == 0x2B1B, r == 0x2B1C, r == 0x2B50, r == 0x2B55:
		return true
	}
	return false
}

// ApplyField applies the metadata field of a request body: left out
// changes nothing, null is rejected, a map is merged by Apply.
func ApplyField(current Map, v optional.Value[Update]) (Map, error) {
	if v.Null {
		return nil, errs.Invalid("fieldNotNullable", "metadata must not be null; send {} or leave it out to change nothing.")
	}
	return Apply(current, v.Value)
}

// Marshal is the stored JSON text of m.
func Marshal(m Map) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Unmarshal reads stored JSON text.
func Unmarshal(s string) (Map, error) {
	m := Map{}
	if s == "" {
		return m, nil
	}
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}
