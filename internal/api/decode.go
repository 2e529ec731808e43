package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/optional"
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

// decodeJSON decodes body strictly into v: invalid JSON is malformed;
// unknown fields and wrong types are invalid, and the message names the
// field. An empty body is an error when required is set, and {} otherwise.
func decodeJSON(body []byte, v any, required bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return errs.Malformed("requestBodyRequired", "This request needs a JSON object as its body.")
		}
		return nil
	}
	// Syntax first (this also rejects anything after the object), then the
	// field names along the whole document, then the types.
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return jsonError(err)
	}
	if doc == nil {
		// null decodes into a struct without complaint.
		return errs.Invalid("requestBodyInvalid", "The request body must be a JSON object, not null.")
	}
	if err := checkBodyText(body, doc); err != nil {
		return err
	}
	if err := checkFields(doc, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// checkFields walks the decoded document along the Go type it was decoded
// into and rejects any key that no field names exactly. encoding/json alone
// lets two kinds through: names in another case ("Email"), and keys inside
// fields that decode themselves (optional.Value), which it decodes without
// DisallowUnknownFields.
func checkFields(doc any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if inner, ok := optionalValue(t); ok {
		return checkFields(doc, inner, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := doc.(map[string]any)
		if !ok || reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil // not an object here, or a type with its own rules
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			ft, known := fields[k]
			if !known {
				return errs.Invalid("unknownField", "Unknown field %q in the request body.", joinPath(path, k))
			}
			if err := checkFields(obj[k], ft, joinPath(path, k)); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, _ := doc.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if err := checkFields(obj[k], t.Elem(), joinPath(path, k)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		arr, _ := doc.([]any)
		for i, x := range arr {
			if err := checkFields(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	optionalPkgPath = reflect.TypeFor[optional.Value[int]]().PkgPath()
	fieldCache      sync.Map // reflect.Type → map[string]reflect.Type
)

// optionalValue returns T for an optional.Value[T].
func optionalValue(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() != reflect.Struct || t.PkgPath() != optionalPkgPath || !strings.HasPrefix(t.Name(), "Value[") {
		return nil, false
	}
	f, ok := t.FieldByName("Value")
	return f.Type, ok
}

// jsonFields maps the JSON names of a struct's fields to their types, the
// way encoding/json names them (tags, embedded structs; outer fields win).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	var embedded []map[string]reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, jsonFields(ft))
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	for _, m := range embedded {
		for k, v := range m {
			if _, taken := out[k]; !taken {
				out[k] = v
			}
		}
	}
	fieldCache.Store(t, out)
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
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
		if !validText(name) || slices.ContainsFunc(vs, func(v string) bool { return !validText(v) }) {
			return query{}, errs.Malformed("queryInvalid", "The query string contains a NUL character or bytes that are not UTF-8.")
		}
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
		// Digits only: Atoi alone would take "+5".
		n, err := strconv.Atoi(v)
		if err != nil || strings.Trim(v, "0123456789") != "" || n < 0 || n > maxLimit {
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
