package api

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cellgate/internal/errs"
)

// Text that reaches the store is valid UTF-8 without NUL: PostgreSQL
// cannot store NUL in text and SQLite would, so both engines store the same
// things only if neither ever sees it. Bodies, query strings and paths are
// checked here, as they are read, and no handler needs to think about it.

// validText reports whether s is valid UTF-8 and contains no NUL.
func validText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkBodyText rejects a JSON body with text that cannot be stored: raw
// invalid UTF-8, or an escape for NUL or for half a surrogate pair (which
// encoding/json would silently turn into U+FFFD). body is known to be
// valid JSON and doc is its decoded form, used to name the field.
func checkBodyText(body []byte, doc any) error {
	if utf8.Valid(body) && !badEscape(body) {
		return nil
	}
	field := badTextField(doc, "")
	if field == "" {
		return errs.Invalid("textInvalid", "The request body contains a NUL character, a lone surrogate or bytes that are not UTF-8.")
	}
	return errs.Invalid("textInvalid", "%s contains a NUL character, a lone surrogate or bytes that are not UTF-8.", field)
}

// badEscape finds \u0000 and unpaired \uD800-\uDFFF escapes. In valid JSON
// a backslash only appears inside strings, as the start of an escape.
func badEscape(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		r := hex4(b, i+2)
		i += 5
		switch {
		case r == 0:
			return true
		case r >= 0xDC00 && r <= 0xDFFF:
			return true // a low half with no high half before it
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(b) || b[i+1] != '\\' || b[i+2] != 'u' {
				return true
			}
			if lo := hex4(b, i+3); lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 6
		}
	}
	return false
}

// hex4 reads the four hex digits at b[i:], or -1.
func hex4(b []byte, i int) int {
	if i+4 > len(b) {
		return -1
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	if err != nil {
		return -1
	}
	return int(n)
}

// badTextField names the first key or string value (in key order) that
// holds NUL or U+FFFD, the mark encoding/json leaves for bad text.
func badTextField(doc any, path string) string {
	bad := func(s string) bool { return strings.ContainsAny(s, "\x00\uFFFD") }
	switch v := doc.(type) {
	case string:
		if bad(v) {
			return orBody(path)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if bad(k) {
				return orBody(joinPath(path, strconv.Quote(k)))
			}
			if f := badTextField(v[k], joinPath(path, k)); f != "" {
				return f
			}
		}
	case []any:
		for i, x := range v {
			if f := badTextField(x, fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f
			}
		}
	}
	return ""
}

func orBody(path string) string {
	if path == "" {
		return "The request body"
	}
	return path
}

// textPaths answers 404 for a path that is not valid text: it names no
// route and no resource, and must not reach a handler or the store.
func (s *Server) textPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !validText(r.URL.Path) {
			writeError(w, r, s.log, &errs.Error{Kind: errs.KindNotFound, Code: "routeNotFound",
				Message: "There is no endpoint at this path: it contains a NUL character or bytes that are not UTF-8."})
			return
		}
		next.ServeHTTP(w, r)
	})
}
