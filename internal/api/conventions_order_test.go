package api_test

import (
	"net/http"
	"strings"
	"testing"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// orderCase is a request with several faults; only the first in the
// documented order (headers → path → query/body) may be reported.
type orderCase struct {
	name         string
	method, path string
	body         []byte
	headers      map[string]string // replaces the default auth and JSON headers when set
	status       int
	typ, code    string
}

func runOrderCases(t *testing.T, e *apitest.Env, db *store.DB, cases []orderCase) {
	t.Helper()
	before := takeSnapshot(t, db)
	for _, c := range cases {
		h := c.headers
		if h == nil {
			h = auth(e.Key)
		}
		r := mustRaw(t, e, c.method, c.path, c.body, h)
		checkError(t, c.name, r.Status, r.Header, r.Body, c.status, c.typ, c.code, "")
	}
	expectUnchanged(t, db, before, "requests with several faults")
}

// TestCheckOrder covers the orders the issue names and their neighbours.
func TestCheckOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		e.NewProject("globex", projects.TypeTest)
		uid := e.Post(e.P("/users"), map[string]any{"email": "order@example.com"}).Expect(http.StatusCreated).ID()
		ghost := "usr_0000000000000000000000"
		noAuth := map[string]string{"Content-Type": "application/json"}
		badAuth := map[string]string{"Authorization": "Bearer nope-nope-nope-nope", "Content-Type": "application/json"}
		textPlain := map[string]string{"Authorization": "Bearer " + e.Key, "Content-Type": "text/plain"}
		badJSON := []byte(`{"email":`)
		unknownField := []byte(`{"nickname":"x"}`)
		big := []byte(`{"email":"x@example.com","fullName":"` + strings.Repeat("x", api.DefaultBodyLimit) + `"}`)

		runOrderCases(t, e, db, []orderCase{
			// Headers first: no or bad credentials hide every other fault.
			{"missing auth + bad query", "GET", e.P("/users?limit=abc"), nil, noAuth, 401, "unauthenticated", ""},
			{"missing auth + bad body", "POST", e.P("/users"), badJSON, noAuth, 401, "unauthenticated", ""},
			{"missing auth + oversized body", "POST", e.P("/users"), big, noAuth, 401, "unauthenticated", ""},
			{"missing auth + other project", "GET", "/projects/globex/users?limit=abc", nil, noAuth, 401, "unauthenticated", ""},
			{"bad key + unknown user + bad body", "PATCH", e.P("/users/" + ghost), badJSON, badAuth, 401, "unauthenticated", ""},
			// Then the path: another project, a missing resource.
			{"other project + bad body", "POST", "/projects/globex/users", badJSON, nil, 404, "notFound", "projectNotFound"},
			{"other project + unknown field", "POST", "/projects/globex/users", unknownField, nil, 404, "notFound", "projectNotFound"},
			{"other project + bad query", "GET", "/projects/globex/users?limit=abc", nil, nil, 404, "notFound", "projectNotFound"},
			{"other project + oversized body", "POST", "/projects/globex/users", big, nil, 404, "notFound", "projectNotFound"},
			{"other project + not JSON", "POST", "/projects/globex/users", []byte(`email=x`), textPlain, 404, "notFound", "projectNotFound"},
			{"unknown user + invalid body on PATCH", "PATCH", e.P("/users/" + ghost), unknownField, nil, 404, "notFound", "userNotFound"},
			{"unknown user + malformed body on PATCH", "PATCH", e.P("/users/" + ghost), badJSON, nil, 404, "notFound", "userNotFound"},
			{"unknown user + oversized body on PATCH", "PATCH", e.P("/users/" + ghost), big, nil, 404, "notFound", "userNotFound"},
			{"unknown user + not JSON on PATCH", "PATCH", e.P("/users/" + ghost), []byte(`email=x`), textPlain, 404, "notFound", "userNotFound"},
			{"unknown user + bad body on address create", "POST", e.P("/users/" + ghost + "/addresses"), badJSON, nil, 404, "notFound", "userNotFound"},
			{"unknown user + bad query on address list", "GET", e.P("/users/" + ghost + "/addresses?limit=abc"), nil, nil, 404, "notFound", "userNotFound"},
			{"unknown plan + bad body on PATCH", "PATCH", e.P("/plans/pln_0000000000000000000000"), badJSON, nil, 404, "notFound", "planNotFound"},
			{"id that cannot exist + bad body", "PATCH", e.P("/users/no%20such"), badJSON, nil, 404, "notFound", "userNotFound"},
			// Then query and body.
			{"known user + invalid body", "PATCH", e.P("/users/" + uid), unknownField, nil, 422, "invalid", "unknownField"},
			{"known user + oversized body", "PATCH", e.P("/users/" + uid), big, nil, 400, "malformed", "requestBodyTooLarge"},
			{"known user + not JSON", "PATCH", e.P("/users/" + uid), []byte(`email=x`), textPlain, 400, "malformed", "unsupportedContentType"},
		})
	})
}

// TestCheckOrderPathBeforeQueryOnReads: a read of a resource that does not
// exist is notFound even when its query string is also wrong.
func TestCheckOrderPathBeforeQueryOnReads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		uid := e.Post(e.P("/users"), map[string]any{"email": "reads@example.com"}).Expect(http.StatusCreated).ID()
		runOrderCases(t, e, db, []orderCase{
			{"unknown user + unknown parameter", "GET", e.P("/users/usr_0000000000000000000000?junk=1"), nil, nil, 404, "notFound", "userNotFound"},
			{"unknown plan + unknown parameter", "GET", e.P("/plans/pln_0000000000000000000000?junk=1"), nil, nil, 404, "notFound", "planNotFound"},
			{"unknown address + unknown parameter", "GET", e.P("/users/" + uid + "/addresses/adr_0000000000000000000000?junk=1"), nil, nil, 404, "notFound", "userAddressNotFound"},
			{"unknown event + unknown parameter", "GET", e.P("/events/evt_0000000000000000000000?junk=1"), nil, nil, 404, "notFound", "eventNotFound"},
		})
	})
}
