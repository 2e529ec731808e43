package api_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// openAPIModel parses the embedded document and fails the test on any error.
func openAPIModel(t *testing.T) (libopenapi.Document, *v3.Document) {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatalf("parse openapi.json: %v", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build the OpenAPI model: %v", err)
	}
	return doc, &m.Model
}

// operations lists the documented operations as "METHOD /path".
func operations(m *v3.Document) map[string]*v3.Operation {
	out := map[string]*v3.Operation{}
	for path, item := range m.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			out[strings.ToUpper(method)+" "+path] = op
		}
	}
	return out
}

// unlistedRoutes are served without being in Server.Routes(), the list of
// API endpoints, and are documented too.
var unlistedRoutes = []string{"GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json", "GET /qr/{file}"}

func TestOpenAPIDocumentIsValid31(t *testing.T) {
	t.Parallel()
	doc, m := openAPIModel(t)
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Fatalf("openapi version %q, want 3.1.0", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("document does not follow the OpenAPI 3.1 schema: %s", e.Error())
		}
	}
	// House rules every operation follows, so that new ones stay alike.
	ids := map[string]string{}
	for route, op := range operations(m) {
		if op.OperationId == "" || op.Summary == "" || len(op.Tags) == 0 {
			t.Errorf("%s: needs an operationId, a summary and a tag", route)
		}
		if prev, dup := ids[op.OperationId]; dup {
			t.Errorf("%s: operationId %q already used by %s", route, op.OperationId, prev)
		}
		ids[op.OperationId] = route
		method, path, _ := strings.Cut(route, " ")
		if needsKey(path) != requiresBearer(op) {
			t.Errorf("%s: bearer auth must be required exactly on /projects, /testing/ and the catalogue paths", route)
		}
		// Carrier callbacks and payment provider webhooks are signed
		// messages, each its own event id, whose effects repeat
		// harmlessly; they take no Idempotency-Key. Nor do the consent
		// answers (a token works once, and a repeat is 409) and the
		// embeds' token exchange (its token is single-use, and no access
		// token is ever stored for a replay, docs/connect.md).
		signed := strings.HasPrefix(path, "/carriers/") || strings.HasPrefix(path, "/paymentProviders/") ||
			strings.HasPrefix(path, "/consentRequests/") || path == "/api/embeds/auth"
		if method == http.MethodPost && !signed && !hasParameter(op, "Idempotency-Key", "header") {
			t.Errorf("%s: a POST must document the Idempotency-Key header", route)
		}
		for code, resp := range op.Responses.Codes.FromOldest() {
			if resp.Headers.GetOrZero("X-Request-Id") == nil {
				t.Errorf("%s %s: response must document X-Request-Id", route, code)
			}
		}
	}
}

func needsKey(path string) bool {
	// The global catalogues of the reference (§1.1) need a key too.
	return strings.HasPrefix(path, "/projects") || strings.HasPrefix(path, "/testing/") ||
		path == "/serviceProviders" || path == "/deviceModelBrands"
}

func requiresBearer(op *v3.Operation) bool {
	if len(op.Security) != 1 || op.Security[0].Requirements == nil {
		return false
	}
	_, ok := op.Security[0].Requirements.Get("bearerAuth")
	return ok
}

func hasParameter(op *v3.Operation, name, in string) bool {
	for _, p := range op.Parameters {
		if p.Name == name && p.In == in {
			return true
		}
	}
	return false
}

// TestOpenAPIDocumentsEveryRoute checks both directions: each route the
// server registers is documented with its method and path, and each
// documented operation is a route the server has.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	_, m := openAPIModel(t)
	documented := operations(m)
	db := storetest.Engines(t)[0].Open(t)
	routes := api.New(api.Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Routes()
	if len(routes) == 0 {
		t.Fatal("the server lists no routes")
	}
	served := map[string]bool{}
	for _, r := range append(routes, unlistedRoutes...) {
		served[r] = true
		if documented[r] == nil {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("openapi.json documents %s, which the server does not route", r)
		}
	}
}

func TestOpenAPIServesDocument(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		r := e.Do(apitest.Request{Method: http.MethodGet, Path: "/openapi.json", NoAuth: true}).Expect(http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q, want application/json", ct)
		}
		if !bytes.Equal(r.Body, api.OpenAPI()) {
			t.Errorf("GET /openapi.json served %d bytes that differ from the embedded document (%d bytes)", len(r.Body), len(api.OpenAPI()))
		}
	})
}

// TestOpenAPIEnumsMatchCode keeps the enums whose values live in code
// tables, not in a const list, equal to those tables.
func TestOpenAPIEnumsMatchCode(t *testing.T) {
	t.Parallel()
	_, m := openAPIModel(t)
	for _, c := range []struct {
		schema string
		want   []string
	}{
		{"EventType", events.Known()},
	} {
		proxy := m.Components.Schemas.GetOrZero(c.schema)
		if proxy == nil {
			t.Errorf("no components/schemas/%s", c.schema)
			continue
		}
		got := enumStrings(proxy.Schema())
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s enum = %v, code has %v", c.schema, got, want)
		}
	}
}

// TestOpenAPIProviderIsTheConfigIDPattern: providers are configured, not
// an enum, so the document states the pattern the carriers file enforces.
func TestOpenAPIProviderIsTheConfigIDPattern(t *testing.T) {
	t.Parallel()
	_, m := openAPIModel(t)
	proxy := m.Components.Schemas.GetOrZero("Provider")
	if proxy == nil {
		t.Fatal("no components/schemas/Provider")
	}
	if got := proxy.Schema().Pattern; got != network.ProviderIDPattern {
		t.Fatalf("Provider pattern = %q, the carriers file enforces %q", got, network.ProviderIDPattern)
	}
}

func enumStrings(s *base.Schema) []string {
	var out []string
	for _, n := range s.Enum {
		out = append(out, n.Value)
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIContractOutsideOperations drives the answers that no
// documented operation produces, and the routing corner where a literal
// path wins for one method only; the contract check in apitest validates
// each of them.
func TestOpenAPIContractOutsideOperations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		for _, c := range []struct {
			method, path string
			noAuth       bool
			status       int
			code         string
		}{
			{http.MethodGet, "/healthz", true, http.StatusOK, ""},
			{http.MethodGet, "/readyz", true, http.StatusOK, ""},
			{http.MethodGet, "/metrics", true, http.StatusOK, ""},
			{http.MethodGet, "/nowhere", true, http.StatusNotFound, "routeNotFound"},
			{http.MethodPut, e.P("/users"), false, http.StatusMethodNotAllowed, "methodNotAllowed"},
			{http.MethodDelete, e.P("/plans"), false, http.StatusMethodNotAllowed, "methodNotAllowed"},
			// Only POST has the literal /users/search; GET falls through to
			// /users/{user}, in the server and in the contract check alike.
			{http.MethodGet, e.P("/users/search"), false, http.StatusNotFound, "userNotFound"},
		} {
			r := e.Do(apitest.Request{Method: c.method, Path: c.path, NoAuth: c.noAuth})
			if c.code != "" {
				r.ExpectError(c.status, map[int]string{404: "notFound", 405: "malformed"}[c.status], c.code)
			} else {
				r.Expect(c.status)
			}
		}
	})
}
