package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/responses"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"cellgate/internal/api"
)

// contract is the OpenAPI document made ready to check responses. It is
// built once per test binary: parsing and compiling the schemas is far
// slower than checking one response.
type contract struct {
	model     *v3.Document
	responses responses.ResponseBodyValidator
	schemas   schema_validation.SchemaValidator
	// routes maps a request to its documented path template with the same
	// rules the server's ServeMux uses, so that, say, GET /users/search
	// resolves to /users/{user} as it does in the server.
	routes *http.ServeMux
	err    error
}

var (
	contractOnce sync.Once
	theContract  *contract
)

// options turn on format checks (date-time, date, uri) on top of the
// library defaults, which already reject undocumented status codes.
var contractOptions = []config.Option{config.WithFormatAssertions()}

func loadContract() *contract {
	contractOnce.Do(func() {
		theContract = buildContract(api.OpenAPI())
	})
	return theContract
}

func buildContract(doc []byte) *contract {
	c := &contract{}
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		c.err = fmt.Errorf("parse OpenAPI document: %w", err)
		return c
	}
	m, err := d.BuildV3Model()
	if err != nil {
		c.err = fmt.Errorf("build OpenAPI model: %w", err)
		return c
	}
	v, errs := validator.NewValidator(d, contractOptions...)
	if len(errs) > 0 {
		c.err = fmt.Errorf("build OpenAPI validator: %v", errs)
		return c
	}
	c.model, c.responses = &m.Model, v.GetResponseBodyValidator()
	c.schemas = schema_validation.NewSchemaValidator(contractOptions...)
	c.routes = http.NewServeMux()
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			c.routes.HandleFunc(strings.ToUpper(method)+" "+path, func(http.ResponseWriter, *http.Request) {})
		}
	}
	return c
}

// checkContract holds every response against the OpenAPI document, so the
// document cannot drift from what the server does. Only the response is
// checked: tests send deliberately bad requests on purpose.
func checkContract(t testing.TB, req *http.Request, resp *Response) {
	t.Helper()
	c := loadContract()
	if c.err != nil {
		t.Fatalf("apitest: OpenAPI contract unusable: %v", c.err)
	}
	if msgs := c.check(req, resp); len(msgs) > 0 {
		t.Errorf("apitest: %s %s answered %d, which the OpenAPI document does not allow:\n  %s\nbody: %s",
			req.Method, req.URL.RequestURI(), resp.Status, strings.Join(msgs, "\n  "), resp.Body)
	}
}

// check returns what is wrong with the exchange, or nothing.
func (c *contract) check(sent *http.Request, resp *Response) []string {
	// The request went out already; the validator needs its method, URL
	// and headers, never its body.
	req := sent.Clone(sent.Context())
	req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	hr := &http.Response{
		StatusCode: resp.Status, Header: resp.Header, Request: req,
		Body: io.NopCloser(bytes.NewReader(resp.Body)), ContentLength: int64(len(resp.Body)),
	}
	_, pattern := c.routes.Handler(req)
	if pattern == "" {
		return c.checkUnrouted(req, hr, resp)
	}
	path := pattern[strings.IndexByte(pattern, ' ')+1:]
	item := c.model.Paths.PathItems.GetOrZero(path)
	_, errs := c.responses.ValidateResponseBodyWithPathItem(req, hr, item, path)
	return describe(errs)
}

// checkUnrouted covers requests no documented operation takes. The
// server's 405 for a documented path with another method and its 404
// routeNotFound for unknown paths still follow the error envelope. Any
// other answer on a documented path is an undocumented operation. A path
// the document does not have at all is skipped: the route table test
// (TestOpenAPIDocumentsEveryRoute) reports it instead, once, rather than
// every test that calls it.
func (c *contract) checkUnrouted(req *http.Request, hr *http.Response, resp *Response) []string {
	documented := c.pathDocumented(req)
	switch {
	case resp.Status == http.StatusMethodNotAllowed && documented:
		return c.checkComponentResponse("MethodNotAllowed", req, hr, resp.Body)
	case resp.Status == http.StatusNotFound && errorCode(resp.Body) == "routeNotFound":
		return c.checkComponentResponse("NotFound", req, hr, resp.Body)
	case documented:
		return []string{req.Method + " is not documented on this path, so only 405 may answer it"}
	}
	return nil
}

// pathDocumented reports whether some other method of this path is documented.
func (c *contract) pathDocumented(req *http.Request) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut} {
		probe := req.Clone(req.Context())
		probe.Method = m
		if _, pattern := c.routes.Handler(probe); pattern != "" {
			return true
		}
	}
	return false
}

// checkComponentResponse validates headers and body against a response of
// components/responses.
func (c *contract) checkComponentResponse(name string, req *http.Request, hr *http.Response, body []byte) []string {
	r := c.model.Components.Responses.GetOrZero(name)
	if r == nil {
		return []string{"the document has no components/responses/" + name}
	}
	var errs []*liberrors.ValidationError
	if r.Headers != nil {
		_, herrs := responses.ValidateResponseHeaders(req, hr, r.Headers, req.URL.Path, fmt.Sprint(hr.StatusCode), contractOptions...)
		errs = append(errs, herrs...)
	}
	media := r.Content.GetOrZero("application/json")
	if media == nil || media.Schema == nil {
		return append(describe(errs), "components/responses/"+name+" has no application/json schema")
	}
	if ct := hr.Header.Get("Content-Type"); ct != "application/json" {
		errs = append(errs, &liberrors.ValidationError{Message: "Content-Type is " + ct + ", not application/json"})
	}
	_, berrs := c.schemas.ValidateSchemaBytesWithVersion(media.Schema.Schema(), body, 3.1)
	return describe(append(errs, berrs...))
}

func errorCode(body []byte) string {
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Code
}

// describe flattens validation errors into one line each, with the field
// path and reason of every schema failure.
func describe(errs []*liberrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		line := e.Message
		if e.Reason != "" && e.Reason != e.Message {
			line += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			where := f.FieldPath
			if where == "" {
				where = f.KeywordLocation
			}
			line += fmt.Sprintf("\n    at %s: %s", where, f.Reason)
		}
		out = append(out, line)
	}
	return out
}
