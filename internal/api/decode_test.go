package api

// Unit tests of the edge's building blocks: the error envelope, strict
// JSON decoding, query parameters and body reading. The HTTP-level tests
// of the same rules are in conventions_*_test.go.

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"cellgate/internal/errs"
	"cellgate/internal/metadata"
	"cellgate/internal/optional"
)

// TestErrorStatuses: each error type has its one status, and the body is
// the documented envelope.
func TestErrorStatuses(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		err    error
		status int
		typ    string
	}{
		{errs.Malformed("x", "m"), 400, "malformed"},
		{errs.Unauthenticated("m"), 401, "unauthenticated"},
		{errs.PermissionDenied("x", "m"), 403, "permissionDenied"},
		{errs.NotFound("user", "usr_1"), 404, "notFound"},
		{errs.Conflict("x", "m"), 409, "conflict"},
		{errs.Invalid("x", "m").WithHint("try %d", 1), 422, "invalid"},
		{&errs.Error{Kind: errs.KindTooManyRequests, Message: "m"}, 429, "tooManyRequests"},
		{&errs.Error{Kind: errs.KindInternal, Message: "m"}, 500, "internal"},
		{&errs.Error{Kind: "madeUp", Message: "m"}, 500, "madeUp"},
	} {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest("GET", "/", nil), log, c.err)
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if w.Code != c.status || body["object"] != "error" || body["type"] != c.typ || body["message"] == "" {
			t.Errorf("%v: %d %s, want %d type %s", c.err, w.Code, w.Body, c.status, c.typ)
		}
		if e, _ := errs.As(c.err); e.Hint != "" && body["hint"] != e.Hint {
			t.Errorf("%v: hint lost: %s", c.err, w.Body)
		}
	}
	// Anything else is internal, and its text never reaches the client.
	w := httptest.NewRecorder()
	w.Header().Set(requestIDHeader, "req_abc")
	writeError(w, httptest.NewRequest("GET", "/", nil), log, errors.New("pq: password authentication failed for secret"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret") || !strings.Contains(w.Body.String(), "req_abc") {
		t.Errorf("internal error: %d %s", w.Code, w.Body)
	}
}

type embeddedPart struct {
	Inner string `json:"inner"`
	Outer string `json:"outer"`
}

// decodeTarget exercises every shape checkFields follows.
type decodeTarget struct {
	embeddedPart
	Outer    int                              `json:"outer"`
	Name     optional.Value[string]           `json:"name"`
	Price    optional.Value[struct{ A int }]  `json:"price"`
	Items    []struct{ N int }                `json:"items"`
	ByKey    map[string]struct{ V string }    `json:"byKey"`
	Ptr      *struct{ P string }              `json:"ptr"`
	Metadata optional.Value[metadata.Update]  `json:"metadata"`
	Dotted   optional.Value[string]           `json:"user.name"`
	Skipped  string                           `json:"-"`
	Plain    string                           // named Plain on the wire
	Nested   optional.Value[[]map[string]int] `json:"nested"`
}

func TestDecodeJSON(t *testing.T) {
	for _, c := range []struct {
		body string
		kind errs.Kind
		code string
		says string
	}{
		{`{}`, "", "", ""},
		{` {"outer":1,"inner":"x","name":null,"price":{"A":1},"items":[{"N":1}],"byKey":{"k":{"V":"v"}},"ptr":{"P":"p"},` +
			`"metadata":{"a":"b","c":null},"user.name":"n","Plain":"p","nested":[{"a":1}]} `, "", "", ""},
		{``, errs.KindMalformed, "requestBodyRequired", ""},
		{`{"outer":`, errs.KindMalformed, "requestBodyInvalidJSON", ""},
		{`{"outer":1,}`, errs.KindMalformed, "requestBodyInvalidJSON", ""},
		{`{} {}`, errs.KindMalformed, "requestBodyInvalidJSON", ""},
		{`{} x`, errs.KindMalformed, "requestBodyInvalidJSON", ""},
		{`null`, errs.KindInvalid, "requestBodyInvalid", "null"},
		{`[]`, errs.KindInvalid, "requestBodyInvalid", "array"},
		{`"x"`, errs.KindInvalid, "requestBodyInvalid", "string"},
		{`{"nope":1}`, errs.KindInvalid, "unknownField", `"nope"`},
		{`{"Outer":1}`, errs.KindInvalid, "unknownField", `"Outer"`},
		{`{"skipped":"x"}`, errs.KindInvalid, "unknownField", `"skipped"`},
		{`{"Skipped":"x"}`, errs.KindInvalid, "unknownField", `"Skipped"`},
		{`{"price":{"A":1,"B":2}}`, errs.KindInvalid, "unknownField", `"price.B"`},
		{`{"price":{"a":1}}`, errs.KindInvalid, "unknownField", `"price.a"`},
		{`{"items":[{"N":1},{"M":1}]}`, errs.KindInvalid, "unknownField", `"items[1].M"`},
		{`{"byKey":{"k":{"W":"v"}}}`, errs.KindInvalid, "unknownField", `"byKey.k.W"`},
		{`{"ptr":{"Q":"p"}}`, errs.KindInvalid, "unknownField", `"ptr.Q"`},
		{`{"outer":"x"}`, errs.KindInvalid, "fieldTypeInvalid", "outer"},
		{`{"name":5}`, errs.KindInvalid, "fieldTypeInvalid", "name"},
		{`{"price":{"A":"1"}}`, errs.KindInvalid, "fieldTypeInvalid", "price.A"},
		{`{"price":{"A":1.5}}`, errs.KindInvalid, "fieldTypeInvalid", "price.A"},
		{`{"metadata":{"k":5}}`, errs.KindInvalid, "fieldTypeInvalid", "metadata"},
		{`{"metadata":[]}`, errs.KindInvalid, "fieldTypeInvalid", "metadata"},
		{`{"items":{}}`, errs.KindInvalid, "fieldTypeInvalid", "items"},
	} {
		var v decodeTarget
		err := decodeJSON([]byte(c.body), &v, true)
		if c.kind == "" {
			if err != nil {
				t.Errorf("%s: %v", c.body, err)
			}
			continue
		}
		e, ok := errs.As(err)
		if !ok || e.Kind != c.kind || e.Code != c.code || !strings.Contains(e.Message, c.says) {
			t.Errorf("%s: err = %v, want %s %s naming %s", c.body, err, c.kind, c.code, c.says)
		}
	}
	var v decodeTarget
	if err := decodeJSON(nil, &v, false); err != nil {
		t.Errorf("optional empty body: %v", err)
	}
}

func TestQueryParameters(t *testing.T) {
	parse := func(raw string, allowed ...string) (query, error) {
		return parseQuery(&http.Request{URL: &url.URL{RawQuery: raw}}, allowed...)
	}
	for _, c := range []struct {
		raw  string
		kind errs.Kind
		code string
	}{
		{"", "", ""},
		{"a=1&b=2", "", ""},
		{"c=1", errs.KindInvalid, "unknownParameter"},
		{"a=", errs.KindInvalid, "emptyParameter"},
		{"a", errs.KindInvalid, "emptyParameter"},
		{"a=1&a=2", errs.KindInvalid, "repeatedParameter"},
		{"a=%zz", errs.KindMalformed, "queryInvalid"},
		{"a=1;b=2", errs.KindMalformed, "queryInvalid"},
	} {
		_, err := parse(c.raw, "a", "b")
		if e, _ := errs.As(err); (c.kind == "" && err != nil) || (c.kind != "" && (e == nil || e.Kind != c.kind || e.Code != c.code)) {
			t.Errorf("%q: %v, want %s %s", c.raw, err, c.kind, c.code)
		}
	}
	for raw, want := range map[string]int{"": 10, "limit=0": 0, "limit=200": 200, "limit=007": 7} {
		q, _ := parse(raw, paginationParams...)
		if p, err := q.page(); err != nil || p.Limit != want {
			t.Errorf("%q: limit %d, %v; want %d", raw, p.Limit, err, want)
		}
	}
	for _, raw := range []string{"limit=201", "limit=-0", "limit=%2B1", "limit=1.0", "limit=0x10", "limit=1_0", "after=a&before=b", "after=a%20b"} {
		q, err := parse(raw, paginationParams...)
		if err == nil {
			_, err = q.page()
		}
		if !errs.IsKind(err, errs.KindInvalid) {
			t.Errorf("%q: %v, want invalid", raw, err)
		}
	}
	q, _ := parse("s=x", "s")
	if _, err := q.enum("s", "a", "b"); !errs.IsKind(err, errs.KindInvalid) || !strings.Contains(err.Error(), "s must be one of a, b") {
		t.Errorf("enum: %v", err)
	}
}

func TestReadBody(t *testing.T) {
	read := func(body, ct string, limit int64) ([]byte, error) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		return readBody(r, limit)
	}
	if b, err := read(`{"a":1}`, "application/json", 7); err != nil || string(b) != `{"a":1}` {
		t.Errorf("body at the limit: %q, %v", b, err)
	}
	if _, err := read(`{"a":12}`, "application/json", 7); !errs.IsKind(err, errs.KindMalformed) || !strings.Contains(err.Error(), "requestBodyTooLarge") {
		t.Errorf("body over the limit: %v", err)
	}
	if _, err := read(`{}`, "text/plain", 100); !errs.IsKind(err, errs.KindMalformed) {
		t.Errorf("text/plain: %v", err)
	}
	for _, ct := range []string{"", "application/json", "application/problem+json", "application/json; charset=utf-8"} {
		if _, err := read(`{}`, ct, 100); err != nil {
			t.Errorf("%q: %v", ct, err)
		}
	}
	if _, err := read("  \n", "text/plain", 100); err != nil {
		t.Errorf("blank body with any Content-Type: %v", err)
	}
}
