package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"unicode/utf8"

	"cellgate/internal/billing"
	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/users"
)

// clientError fails unless err is a 400 or 422 error of the edge.
func clientError(t *testing.T, what string, err error) {
	e, ok := errs.As(err)
	if !ok || (e.Kind != errs.KindMalformed && e.Kind != errs.KindInvalid) || e.Message == "" {
		t.Fatalf("%s: %v is not a malformed or invalid error", what, err)
	}
}

// FuzzDecoder: any body decodes into a request type or is a 400/422, and
// what decodes holds only text the store can keep.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@example.com","fullName":"Jerry","metadata":{"k":"v"}}`,
		`{"name":"Monthly","provider":"test","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"}}`,
		`{"invoice":"inv_0352NYRCvrHj7Rfppaz3Oz","lineItems":[{"invoiceLineItem":"x","amount":1,"taxes":[]}]}`,
		`{"fullName":"\ud83d\ude00"}`, `{"fullName":"\ud800"}`, `{"a":"\u0000"}`, "{\"fullName\":\"\xff\"}", `{"x":`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{new(users.CreateInput), new(catalog.PlanInput), new(billing.CreditNoteInput), new(map[string]any)} {
			err := decodeJSON(body, v, true)
			if err != nil {
				clientError(t, "decode", err)
				continue
			}
			// Marshal escapes NUL as \u0000 and writes \ufffd for text that
			// is not UTF-8: neither may come out of an accepted body.
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("re-encode %T: %v", v, err)
			}
			if !utf8.Valid(out) || bytes.Contains(out, []byte(`\u0000`)) || bytes.Contains(out, []byte(`\ufffd`)) {
				t.Fatalf("%q was accepted into %T as %s", body, v, out)
			}
		}
	})
}

// FuzzQueryParsing: any query string is parsed with its pagination, or is
// a 400/422; what is accepted is text the store can keep.
func FuzzQueryParsing(f *testing.F) {
	for _, s := range []string{"", "limit=10", "limit=-1", "limit=1e9", "after=usr_0352NYRCvrHj7Rfppaz3Oz", "after=x&before=y",
		"status=active&limit=0", "x=%00", "a=%ff", "%zz", "limit=10&limit=11", "user="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = raw
		q, err := parseQuery(r, listParams("status", "user")...)
		if err != nil {
			clientError(t, "parse", err)
			return
		}
		for name, vs := range q.values {
			for _, v := range append([]string{name}, vs...) {
				if !validText(v) {
					t.Fatalf("%q accepted %q", raw, v)
				}
			}
		}
		p, err := q.page()
		if err != nil {
			clientError(t, "page", err)
			return
		}
		if p.Limit < 0 || p.Limit > maxLimit || (p.After != "" && p.Before != "") {
			t.Fatalf("%q gave the page %+v", raw, p)
		}
	})
}
