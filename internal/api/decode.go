package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/store"
)

// readBody reads the whole body within the size limit and checks that a
// non-empty body is declared as JSON.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, errs.Malformed("requestBodyTooLarge", "The request body is larger than %d bytes.", limit)
	}
	if err != nil {
		return nil, errs.Malformed("requestBodyUnreadable", "The request body could not be read.")
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
				return nil, errs.Malformed("unsupportedContentType", "The request body must be JSON sent with Content-Type: application/json, not %q.", ct)
			}
		}
	}
	return b, nil
}

// decodeJSON decodes body strictly into v: unknown fields, wrong types and
// trailing data are errors that name the field. An empty body is an error
// when required is set, and {} otherwise.
func decodeJSON(body []byte, v any, required bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return errs.Malformed("requestBodyRequired", "This request needs a JSON object as its body.")
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.Malformed("requestBodyInvalidJSON", "The request body must hold one JSON object and nothing after it.")
	}
	return nil
}

// jsonError turns an encoding/json error into the documented error.
func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errs.Malformed("requestBodyInvalidJSON", "The request body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errs.Invalid("requestBodyInvalid", "The request body must be a JSON object, not %s.", article(typ.Value))
		}
		return errs.Invalid("fieldTypeInvalid", "%s must be %s, not %s.", typ.Field, jsonTypeName(typ.Type), article(typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return errs.Invalid("unknownField", "Unknown field %s in the request body.", field)
	}
	if e, ok := errs.As(err); ok {
		return e
	}
	return errs.Invalid("requestBodyInvalid", "The request body is invalid: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

func article(jsonType string) string {
	switch jsonType {
	case "array", "object", "":
		return "an " + jsonType
	}
	if strings.HasPrefix(jsonType, "number ") {
		return "the number " + strings.TrimPrefix(jsonType, "number ")
	}
	return "a " + jsonType
}

// jsonTypeName names the JSON type a Go type expects.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// query is the checked query string of a request.
type query struct {
	values url.Values
}

// parseQuery rejects parameters the endpoint does not know and empty
// values: a filter such as ?user= is an error, not a filter that is skipped.
func parseQuery(r *http.Request, allowed ...string) (query, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, errs.Malformed("queryInvalid", "The query string cannot be parsed.")
	}
	for name, vs := range values {
		known := false
		for _, a := range allowed {
			if name == a {
				known = true
				break
			}
		}
		if !known {
			return query{}, errs.Invalid("unknownParameter", "Unknown query parameter %q.", name)
		}
		for _, v := range vs {
			if v == "" {
				return query{}, errs.Invalid("emptyParameter", "Query parameter %q must not be empty.", name)
			}
		}
		if len(vs) > 1 {
			return query{}, errs.Invalid("repeatedParameter", "Query parameter %q is given more than once.", name)
		}
	}
	return query{values: values}, nil
}

// get returns a parameter's value, or "" when it is absent.
func (q query) get(name string) string { return q.values.Get(name) }

// enum returns a parameter that must be one of allowed.
func (q query) enum(name string, allowed ...string) (string, error) {
	v := q.get(name)
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", errs.Invalid("invalidEnumValue", "Query parameter %s must be one of %s; got %q.", name, strings.Join(allowed, ", "), v)
}

// id returns a parameter that must look like an id.
func (q query) id(name string) (string, error) {
	v := q.get(name)
	if v != "" && !ids.Valid(v) {
		return "", errs.Invalid("idInvalid", "Query parameter %s is not a valid id: %q.", name, v)
	}
	return v, nil
}

// Pagination bounds (reference §1.4).
const (
	defaultLimit = 10
	maxLimit     = 200
)

// paginationParams are accepted by every list endpoint.
var paginationParams = []string{"after", "before", "limit"}

// page reads after, before and limit.
func (q query) page() (store.Page, error) {
	p := store.Page{Limit: defaultLimit}
	var err error
	if p.After, err = q.id("after"); err != nil {
		return p, err
	}
	if p.Before, err = q.id("before"); err != nil {
		return p, err
	}
	if p.After != "" && p.Before != "" {
		return p, errs.Invalid("paginationInvalid", "Query parameters after and before cannot be used together.")
	}
	if v := q.get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxLimit {
			return p, errs.Invalid("limitInvalid", "Query parameter limit must be an integer from 0 to %d; got %q.", maxLimit, v)
		}
		p.Limit = n
	}
	return p, nil
}

// listParams is paginationParams plus an endpoint's filters.
func listParams(filters ...string) []string {
	return append(append([]string{}, paginationParams...), filters...)
}

// pathID checks a path segment that names a resource; a value that cannot
// be an id cannot exist either, so it is a notFound.
func pathID(r *http.Request, name, object string) (string, error) {
	v := r.PathValue(name)
	if !ids.Valid(v) {
		return "", errs.NotFound(object, v)
	}
	return v, nil
}
