package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// badCase is one bad request and the documented error it must get.
type badCase struct {
	name         string
	method, path string
	body         string
	headers      map[string]string // added to the default auth and JSON headers; a "" value removes one
	status       int
	typ, code    string
	field        string // the message must name it
}

func address(line1 string) string {
	return fmt.Sprintf(`{"line1":%q,"city":"New York City","state":"NY","postalCode":"10024","country":"US"}`, line1)
}

// TestBadInputLeavesDatabaseUnchanged sends bad input of every kind, each
// POST with an Idempotency-Key, and checks the error and that no table
// changed: no row, no event, no stored key.
func TestBadInputLeavesDatabaseUnchanged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		e.NewProject("globex", projects.TypeTest)
		taken := e.Post(e.P("/users"), map[string]any{"email": "taken@example.com"}).Expect(http.StatusCreated).ID()
		full := e.Post(e.P("/users"), map[string]any{"email": "full@example.com"}).Expect(http.StatusCreated).ID()
		for i := range 10 {
			e.Post(e.P("/users/"+full+"/addresses"), address(fmt.Sprintf("%d West 81st Street", i+1))).Expect(http.StatusCreated)
		}
		e.Post(e.P("/users/"+taken+"/addresses"), address("129 West 81st Street")).Expect(http.StatusCreated)
		e.Do(apitest.Request{Method: "POST", Path: e.P("/plans"), Body: minimalPlan("Keyed"), Headers: withKey("used")}).Expect(http.StatusCreated)
		plan := minimalPlan("Bad")

		planWith := func(k string, v any) string {
			p := map[string]any{}
			for k, v := range plan {
				p[k] = v
			}
			p[k] = v
			return mustJSON(t, p)
		}
		users, ghost := e.P("/users"), e.P("/users/usr_0000000000000000000000")
		cases := []badCase{
			{"malformed JSON", "POST", users, `{"email":`, nil, 400, "malformed", "requestBodyInvalidJSON", ""},
			{"trailing garbage", "POST", users, `{"email":"a@example.com"} x`, nil, 400, "malformed", "requestBodyInvalidJSON", ""},
			{"two objects", "POST", users, `{"email":"a@example.com"}{}`, nil, 400, "malformed", "requestBodyInvalidJSON", ""},
			{"empty body", "POST", users, ``, nil, 400, "malformed", "requestBodyRequired", ""},
			{"array body", "POST", users, `[]`, nil, 422, "invalid", "requestBodyInvalid", ""},
			{"null body", "POST", users, `null`, nil, 422, "invalid", "requestBodyInvalid", ""},
			{"null body on PATCH", "PATCH", e.P("/users/" + taken), `null`, nil, 422, "invalid", "requestBodyInvalid", ""},
			{"unknown field", "POST", users, `{"email":"a@example.com","nickname":"x"}`, nil, 422, "invalid", "unknownField", "nickname"},
			{"field in the wrong case", "POST", users, `{"Email":"a@example.com"}`, nil, 422, "invalid", "unknownField", "Email"},
			{"unknown nested field", "POST", e.P("/plans"), planWith("price", map[string]any{"amount": 1, "currency": "USD", "tax": 1}), nil, 422, "invalid", "unknownField", "price.tax"},
			{"unknown field in PATCH of a project", "PATCH", e.P(""), `{"support":{"emial":"x@example.com"}}`, nil, 422, "invalid", "unknownField", "support.emial"},
			{"wrong type", "POST", users, `{"email":5}`, nil, 422, "invalid", "fieldTypeInvalid", "email"},
			{"wrong type in optional field", "POST", users, `{"email":"a@example.com","fullName":5}`, nil, 422, "invalid", "fieldTypeInvalid", "fullName"},
			{"wrong nested type", "POST", e.P("/plans"), planWith("price", map[string]any{"amount": "ten", "currency": "USD"}), nil, 422, "invalid", "fieldTypeInvalid", "price.amount"},
			{"fraction for an integer", "POST", e.P("/plans"), planWith("price", map[string]any{"amount": 1.5, "currency": "USD"}), nil, 422, "invalid", "fieldTypeInvalid", "price.amount"},
			{"out-of-enum SIM type", "POST", e.P("/plans"), planWith("simTypes", []string{"xSIM"}), nil, 422, "invalid", "", "simTypes"},
			{"out-of-enum provider", "POST", e.P("/plans"), planWith("provider", "nope"), nil, 422, "invalid", "", "provider"},
			{"out-of-enum validity unit", "POST", e.P("/plans"), planWith("validity", map[string]any{"value": 1, "unit": "fortnight", "type": "recurring"}), nil, 422, "invalid", "", "unit"},
			{"negative price", "POST", e.P("/plans"), planWith("price", map[string]any{"amount": -1, "currency": "USD"}), nil, 422, "invalid", "", "price.amount"},
			{"bad locale", "POST", users, `{"email":"a@example.com","preferredLocale":"english"}`, nil, 422, "invalid", "localeInvalid", "preferredLocale"},
			{"bad birthday", "POST", users, `{"email":"a@example.com","birthday":"2017-13-45"}`, nil, 422, "invalid", "dateInvalid", "birthday"},
			{"bad email", "POST", users, `{"email":"nope"}`, nil, 422, "invalid", "emailInvalid", "email"},
			{"null email on PATCH", "PATCH", e.P("/users/" + taken), `{"email":null}`, nil, 422, "invalid", "fieldNotNullable", "email"},
			{"null metadata", "POST", users, `{"email":"a@example.com","metadata":null}`, nil, 422, "invalid", "fieldNotNullable", "metadata"},
			{"null metadata on PATCH", "PATCH", e.P("/users/" + taken), `{"metadata":null}`, nil, 422, "invalid", "fieldNotNullable", "metadata"},
			{"11 metadata keys", "POST", users, mustJSON(t, map[string]any{"email": "a@example.com", "metadata": manyKeys(11)}), nil, 422, "invalid", "metadataInvalid", "metadata"},
			{"emoji in metadata", "PATCH", e.P("/users/" + taken), `{"metadata":{"mood":"🙂"}}`, nil, 422, "invalid", "metadataInvalid", "emoji"},
			{"empty search", "POST", users + "/search", `{"email":""}`, nil, 422, "invalid", "fieldRequired", "email"},
			{"empty filter", "GET", e.P("/plans?simType="), "", nil, 422, "invalid", "emptyParameter", "simType"},
			{"out-of-enum filter", "GET", e.P("/plans?simType=xSIM"), "", nil, 422, "invalid", "invalidEnumValue", "simType"},
			{"bad limit", "GET", users + "?limit=201", "", nil, 422, "invalid", "limitInvalid", "limit"},
			{"after and before", "GET", users + "?after=" + taken + "&before=" + taken, "", nil, 422, "invalid", "paginationInvalid", "after"},
			{"oversized body", "POST", users, `{"email":"big@example.com","fullName":"` + strings.Repeat("x", api.DefaultBodyLimit) + `"}`, nil, 400, "malformed", "requestBodyTooLarge", ""},
			{"not JSON", "POST", users, `email=a@example.com`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 400, "malformed", "unsupportedContentType", ""},
			{"duplicate email", "POST", users, `{"email":"taken@example.com"}`, nil, 409, "conflict", "userAlreadyExists", "taken@example.com"},
			{"duplicate email in other case", "POST", users, `{"email":"Taken@Example.com"}`, nil, 409, "conflict", "userAlreadyExists", ""},
			{"duplicate email on PATCH", "PATCH", e.P("/users/" + full), `{"email":"taken@example.com"}`, nil, 409, "conflict", "userAlreadyExists", ""},
			{"11th address", "POST", e.P("/users/" + full + "/addresses"), address("999 West 81st Street"), nil, 422, "invalid", "userAddressLimitReached", ""},
			{"duplicate address", "POST", e.P("/users/" + taken + "/addresses"), address("129 West 81st Street"), nil, 409, "conflict", "userAddressAlreadyExists", ""},
			{"duplicate address, other spelling", "POST", e.P("/users/" + taken + "/addresses"), address("129  west 81st street."), nil, 409, "conflict", "userAddressAlreadyExists", ""},
			{"bad country", "POST", e.P("/users/" + taken + "/addresses"), `{"line1":"1 A","city":"B","country":"XX"}`, nil, 422, "invalid", "userAddressInvalid", "country"},
			{"reused idempotency key", "POST", e.P("/plans"), mustJSON(t, plan), map[string]string{"Idempotency-Key": "used"}, 409, "conflict", "idempotencyKeyReused", ""},
			{"bad idempotency key", "POST", users, `{"email":"k@example.com"}`, map[string]string{"Idempotency-Key": "has space"}, 422, "invalid", "idempotencyKeyInvalid", ""},
			{"other project", "POST", "/projects/globex/users", `{"email":"a@example.com"}`, nil, 404, "notFound", "projectNotFound", ""},
			{"missing auth", "POST", users, `{"email":"a@example.com"}`, map[string]string{"Authorization": ""}, 401, "unauthenticated", "", ""},
			{"unknown user on PATCH", "PATCH", ghost, `{"nickname":"x"}`, nil, 404, "notFound", "userNotFound", ""},
			{"unknown user on DELETE", "DELETE", ghost, ``, nil, 404, "notFound", "userNotFound", ""},
			{"unknown route", "POST", e.P("/nothing"), `{}`, nil, 404, "notFound", "routeNotFound", ""},
			{"wrong method", "PUT", users, `{"email":"a@example.com"}`, nil, 405, "malformed", "methodNotAllowed", ""},
		}
		before := takeSnapshot(t, db)
		for i, c := range cases {
			h := auth(e.Key)
			if c.method == "POST" {
				h["Idempotency-Key"] = fmt.Sprintf("bad-%d", i)
			}
			for k, v := range c.headers {
				if v == "" {
					delete(h, k)
				} else {
					h[k] = v
				}
			}
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			r := mustRaw(t, e, c.method, c.path, body, h)
			checkError(t, c.name, r.Status, r.Header, r.Body, c.status, c.typ, c.code, c.field)
			// Compare with the state before this case only, so one failure
			// does not spill into the cases after it.
			after := takeSnapshot(t, db)
			if d := before.diff(after); len(d) > 0 {
				t.Errorf("%s changed the database:\n  %s", c.name, strings.Join(d, "\n  "))
			}
			before = after
		}
	})
}
