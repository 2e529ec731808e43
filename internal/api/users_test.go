package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// The fx helpers are shared by the resource tests of this package (users,
// addresses, plans, projects, events).

// fxUser creates a user and returns its representation.
func fxUser(t *testing.T, e *apitest.Env, email string) map[string]any {
	t.Helper()
	return e.Post(e.P("/users"), map[string]any{"email": email}).Expect(http.StatusCreated).JSON()
}

// fxItems decodes a list envelope and returns its items.
func fxItems(t *testing.T, r *apitest.Response) []map[string]any {
	t.Helper()
	var l struct {
		Object string           `json:"object"`
		Items  []map[string]any `json:"items"`
	}
	r.Expect(http.StatusOK).Decode(&l)
	if l.Object != "list" || l.Items == nil {
		t.Fatalf("not a list envelope: %s", r.Body)
	}
	return l.Items
}

// fxIDs returns the ids of items, in order.
func fxIDs(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it["id"].(string)
	}
	return out
}

// fxSameJSON fails unless got and want encode to the same JSON value.
func fxSameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	norm := func(v any) any {
		var raw []byte
		switch b := v.(type) {
		case []byte:
			raw = b
		case json.RawMessage:
			raw = b
		default:
			var err error
			if raw, err = json.Marshal(v); err != nil {
				t.Fatalf("%s: encode: %v", what, err)
			}
		}
		var out any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: decode %s: %v", what, raw, err)
		}
		return out
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		t.Errorf("%s:\n got  %s\n want %s", what, gj, wj)
	}
}

// fxInvalid reports, without stopping the test, a response that is not a
// 422 invalid error with this code; what names the case.
func fxInvalid(t *testing.T, what string, r *apitest.Response, code string) {
	t.Helper()
	var body struct{ Object, Type, Code, Message string }
	_ = json.Unmarshal(r.Body, &body)
	if r.Status != http.StatusUnprocessableEntity || body.Object != "error" || body.Type != "invalid" || body.Code != code || body.Message == "" {
		t.Errorf("%s: want 422 invalid %s, got %d %s", what, code, r.Status, r.Body)
	}
}

// fxExec runs SQL directly, for state the API cannot yet produce.
func fxExec(t testing.TB, db *store.DB, query string, args ...any) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), query, args...)
		return err
	})
	if err != nil {
		t.Fatalf("exec %q: %v", query, err)
	}
}

func TestUserCreateDefaults(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		u := fxUser(t, e, "elaine@example.com")
		if id, _ := u["id"].(string); !strings.HasPrefix(id, "usr_") {
			t.Errorf("id = %v, want usr_ prefix", u["id"])
		}
		fxSameJSON(t, "new user", map[string]any{
			"object": u["object"], "birthday": u["birthday"], "email": u["email"], "emailVerified": u["emailVerified"],
			"fullName": u["fullName"], "metadata": u["metadata"], "preferredLocale": u["preferredLocale"], "status": u["status"],
		}, map[string]any{
			"object": "user", "birthday": nil, "email": "elaine@example.com", "emailVerified": false,
			"fullName": nil, "metadata": map[string]any{}, "preferredLocale": "en-US", "status": "active",
		})
		fxSameJSON(t, "retrieved user", e.Get(e.P("/users/"+u["id"].(string))).Expect(http.StatusOK).Body, u)

		full := e.Post(e.P("/users"), map[string]any{"email": "george@example.com", "fullName": "George Costanza",
			"birthday": "1959-04-23", "preferredLocale": "de-DE", "metadata": map[string]any{"crm": "42"}}).
			Expect(http.StatusCreated).JSON()
		for k, want := range map[string]any{"fullName": "George Costanza", "birthday": "1959-04-23", "preferredLocale": "de-DE"} {
			if full[k] != want {
				t.Errorf("%s = %v, want %v", k, full[k], want)
			}
		}
		fxSameJSON(t, "metadata", full["metadata"], map[string]string{"crm": "42"})
	})
}

// TestUserInputValidated: bad fields are 422 naming the rule, and create nothing.
func TestUserInputValidated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		for _, c := range []struct {
			name, body, code string
		}{
			{"email missing", `{"fullName":"Kramer"}`, "fieldRequired"},
			{"email not an address", `{"email":"kramer"}`, "emailInvalid"},
			{"email with display name", `{"email":"Kramer <k@example.com>"}`, "emailInvalid"},
			{"locale not a tag", `{"email":"k@example.com","preferredLocale":"english"}`, "localeInvalid"},
			{"locale null", `{"email":"k@example.com","preferredLocale":null}`, "fieldNotNullable"},
			{"birthday not a date", `{"email":"k@example.com","birthday":"23.04.1959"}`, "dateInvalid"},
			{"birthday impossible day", `{"email":"k@example.com","birthday":"1959-02-30"}`, "dateInvalid"},
			{"birthday with time", `{"email":"k@example.com","birthday":"1959-04-23T00:00:00Z"}`, "dateInvalid"},
			{"birthday in the future", `{"email":"k@example.com","birthday":"2999-01-01"}`, "dateInvalid"},
			{"fullName blank", `{"email":"k@example.com","fullName":"  "}`, "fieldRequired"},
			{"metadata null", `{"email":"k@example.com","metadata":null}`, "fieldNotNullable"},
			{"unknown field", `{"email":"k@example.com","nickname":"K"}`, "unknownField"},
			{"status not writable", `{"email":"k@example.com","status":"blocked"}`, "unknownField"},
		} {
			fxInvalid(t, c.name, e.Post(e.P("/users"), c.body), c.code)
		}
		if n := len(fxItems(t, e.Get(e.P("/users")))); n != 0 {
			t.Errorf("rejected requests created %d users", n)
		}
	})
}

func TestUserNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		missing := e.P("/users/usr_0000000000000000000000")
		e.Get(missing).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
		e.Patch(missing, `{"fullName":"Newman"}`).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
		e.Delete(missing).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
	})
}

// TestUserUpdateAbsentNullValue: a left-out field keeps its value, null
// clears fullName and birthday, a value replaces.
func TestUserUpdateAbsentNullValue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		id := e.Post(e.P("/users"), map[string]any{"email": "jerry@example.com", "fullName": "Jerry Seinfeld",
			"birthday": "1954-04-29", "metadata": map[string]any{"a": "1", "b": "2"}}).Expect(http.StatusCreated).ID()
		path := e.P("/users/" + id)
		steps := []struct {
			body string
			want map[string]any
		}{
			{`{}`, map[string]any{"fullName": "Jerry Seinfeld", "birthday": "1954-04-29", "preferredLocale": "en-US"}},
			{`{"preferredLocale":"fr-FR"}`, map[string]any{"fullName": "Jerry Seinfeld", "birthday": "1954-04-29", "preferredLocale": "fr-FR"}},
			{`{"fullName":null}`, map[string]any{"fullName": nil, "birthday": "1954-04-29", "preferredLocale": "fr-FR"}},
			{`{"birthday":null}`, map[string]any{"fullName": nil, "birthday": nil}},
			{`{"fullName":"J. Seinfeld","birthday":"1954-04-30"}`, map[string]any{"fullName": "J. Seinfeld", "birthday": "1954-04-30"}},
			{`{"metadata":{"a":null,"c":"3"}}`, map[string]any{"metadata": map[string]any{"b": "2", "c": "3"}}},
		}
		for _, s := range steps {
			got := e.Patch(path, s.body).Expect(http.StatusOK).JSON()
			for k, want := range s.want {
				fxSameJSON(t, s.body+" "+k, got[k], want)
			}
			fxSameJSON(t, "GET after "+s.body, e.Get(path).Expect(http.StatusOK).Body, got)
		}
		for _, c := range []struct{ body, code string }{
			{`{"email":null}`, "fieldNotNullable"},
			{`{"email":"nope"}`, "emailInvalid"},
			{`{"preferredLocale":null}`, "fieldNotNullable"},
			{`{"birthday":"1954-13-01"}`, "dateInvalid"},
			{`{"emailVerified":true}`, "unknownField"},
		} {
			e.Patch(path, c.body).ExpectError(http.StatusUnprocessableEntity, "invalid", c.code)
		}
		e.Patch(path, "").ExpectError(http.StatusBadRequest, "malformed", "requestBodyRequired")
	})
}

// TestUserEmailChangeResetsVerified: a new address is unverified; the same
// address in another case is not a change.
func TestUserEmailChangeResetsVerified(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		id := fxUser(t, e, "jerry@example.com")["id"].(string)
		// Verification has no endpoint yet; set it the way it will be stored.
		fxExec(t, db, `UPDATE users SET email_verified = ? WHERE id = ?`, true, id)
		path := e.P("/users/" + id)
		if u := e.Patch(path, `{"email":"Jerry@Example.com"}`).Expect(http.StatusOK).JSON(); u["emailVerified"] != true || u["email"] != "Jerry@Example.com" {
			t.Errorf("case-only change: %v", u)
		}
		if u := e.Patch(path, `{"email":"jerry@seinfeld.com"}`).Expect(http.StatusOK).JSON(); u["emailVerified"] != false || u["email"] != "jerry@seinfeld.com" {
			t.Errorf("new email: %v", u)
		}
		if u := e.Get(path).Expect(http.StatusOK).JSON(); u["emailVerified"] != false {
			t.Errorf("stored emailVerified = %v after email change", u["emailVerified"])
		}
	})
}

// TestUserEmailUniquePerProject: emails are unique per project ignoring
// case, on create and on update; another project may use the same email.
func TestUserEmailUniquePerProject(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		fxUser(t, e, "Jerry@Example.com")
		e.Post(e.P("/users"), `{"email":"jerry@example.COM"}`).ExpectError(http.StatusConflict, "conflict", "userAlreadyExists")
		other := fxUser(t, e, "kramer@example.com")["id"].(string)
		e.Patch(e.P("/users/"+other), `{"email":"JERRY@example.com"}`).ExpectError(http.StatusConflict, "conflict", "userAlreadyExists")
		if u := e.Get(e.P("/users/" + other)).Expect(http.StatusOK).JSON(); u["email"] != "kramer@example.com" {
			t.Errorf("rejected update changed the email to %v", u["email"])
		}
		if n := len(fxItems(t, e.Get(e.P("/users")))); n != 2 {
			t.Errorf("%d users, want 2", n)
		}

		keyB := e.NewProject("vandelay", projects.TypeTest)
		e.Do(apitest.Request{Method: http.MethodPost, Path: "/projects/vandelay/users", Key: keyB, Body: `{"email":"jerry@example.com"}`}).
			Expect(http.StatusCreated)
	})
}

// TestUserDeleteIsSoft: the response shows the deleted user; afterwards the
// user is gone from every read and its email is free again.
func TestUserDeleteIsSoft(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		keep := fxUser(t, e, "kramer@example.com")["id"].(string)
		u := fxUser(t, e, "newman@example.com")
		path := e.P("/users/" + u["id"].(string))
		del := e.Delete(path).Expect(http.StatusOK).JSON()
		u["status"] = "deleted"
		fxSameJSON(t, "delete response", del, u)

		e.Get(path).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
		e.Patch(path, `{"fullName":"Newman"}`).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
		e.Delete(path).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
		if ids := fxIDs(fxItems(t, e.Get(e.P("/users")))); !reflect.DeepEqual(ids, []string{keep}) {
			t.Errorf("list = %v, want only %s", ids, keep)
		}
		if n := len(fxItems(t, e.Post(e.P("/users/search"), `{"email":"newman@example.com"}`))); n != 0 {
			t.Errorf("search finds the deleted user")
		}
		again := fxUser(t, e, "NEWMAN@example.com")
		if again["id"] == u["id"] {
			t.Errorf("re-created user reuses the deleted id")
		}
	})
}

func TestUserListNewestFirst(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		var want []string
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			want = append([]string{fxUser(t, e, email)["id"].(string)}, want...)
		}
		if got := fxIDs(fxItems(t, e.Get(e.P("/users")))); !reflect.DeepEqual(got, want) {
			t.Errorf("list = %v, want %v", got, want)
		}
		if got := fxIDs(fxItems(t, e.Get(e.P("/users?limit=2")))); !reflect.DeepEqual(got, want[:2]) {
			t.Errorf("limit=2 = %v, want %v", got, want[:2])
		}
	})
}

// TestUserSearchByEmail: exact match ignoring case, answered as a list.
func TestUserSearchByEmail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		jerry := fxUser(t, e, "Jerry@Example.com")
		fxUser(t, e, "jerry@example.org")
		for _, c := range []struct {
			email string
			want  []string
		}{
			{"Jerry@Example.com", []string{jerry["id"].(string)}},
			{"jerry@example.com", []string{jerry["id"].(string)}},
			{"JERRY@EXAMPLE.COM", []string{jerry["id"].(string)}},
			{"jerry@example", []string{}},
			{"erry@example.com", []string{}},
			{"nobody@example.com", []string{}},
		} {
			items := fxItems(t, e.Post(e.P("/users/search"), map[string]any{"email": c.email}))
			if got := fxIDs(items); !reflect.DeepEqual(got, c.want) {
				t.Errorf("search %q = %v, want %v", c.email, got, c.want)
			}
			if len(items) == 1 {
				fxSameJSON(t, "search result", items[0], jerry)
			}
		}
		e.Post(e.P("/users/search"), `{}`).ExpectError(http.StatusUnprocessableEntity, "invalid", "fieldRequired")
		e.Post(e.P("/users/search"), `{"email":"a@b.c","name":"x"}`).ExpectError(http.StatusUnprocessableEntity, "invalid", "unknownField")
	})
}
