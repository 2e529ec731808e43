package api_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// fxEvents lists the project's events (newest first) with a query string.
func fxEvents(t *testing.T, e *apitest.Env, query string) []map[string]any {
	t.Helper()
	if !strings.Contains(query, "limit=") {
		query = "limit=200&" + query
	}
	return fxItems(t, e.Get(e.P("/events?"+query)))
}

// fxKeyID is the id of a project's (only) API key, as actors name it.
func fxKeyID(t *testing.T, db *store.DB, project string) string {
	t.Helper()
	var id string
	if err := db.QueryRow(context.Background(), `SELECT id FROM api_keys WHERE project_id = ?`, project).Scan(&id); err != nil {
		t.Fatalf("key of %s: %v", project, err)
	}
	return id
}

// TestEventRecordedForEachChange: every create, update and delete records
// exactly one event whose data is the representation the API returned,
// caused by the API key.
func TestEventRecordedForEachChange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		actor := map[string]any{"type": "apiKey", "apiKey": fxKeyID(t, db, "acme")}
		if !strings.HasPrefix(actor["apiKey"].(string), "apk_") {
			t.Fatalf("key id %v", actor["apiKey"])
		}
		var userID, addressID, planID string
		steps := []struct {
			typ  string
			do   func() *apitest.Response
			prev any // previousData of an update
		}{
			{"user.created", func() *apitest.Response {
				r := e.Post(e.P("/users"), `{"email":"jerry@example.com"}`).Expect(http.StatusCreated)
				userID = r.ID()
				return r
			}, nil},
			{"user.updated", func() *apitest.Response {
				return e.Patch(e.P("/users/"+userID), `{"fullName":"Jerry","email":"jerry@example.com"}`).Expect(http.StatusOK)
			}, map[string]any{"fullName": nil}},
			{"userAddress.created", func() *apitest.Response {
				r := e.Post(e.P("/users/"+userID+"/addresses"), fxAddressBody(0)).Expect(http.StatusCreated)
				addressID = r.ID()
				return r
			}, nil},
			{"userAddress.deleted", func() *apitest.Response {
				return e.Delete(e.P("/users/" + userID + "/addresses/" + addressID)).Expect(http.StatusOK)
			}, nil},
			{"user.deleted", func() *apitest.Response { return e.Delete(e.P("/users/" + userID)).Expect(http.StatusOK) }, nil},
			{"plan.created", func() *apitest.Response {
				r := e.Post(e.P("/plans"), fxPlanBody()).Expect(http.StatusCreated)
				planID = r.ID()
				return r
			}, nil},
			{"plan.updated", func() *apitest.Response {
				return e.Patch(e.P("/plans/"+planID), `{"name":"Basic","status":"archived","price":{"amount":900,"currency":"USD"}}`).Expect(http.StatusOK)
			}, map[string]any{"status": "available", "price": map[string]any{"amount": 1000, "currency": "USD"}}},
			{"project.updated", func() *apitest.Response {
				return e.Patch("/projects/acme", `{"support":{"email":"help@acme.example"}}`).Expect(http.StatusOK)
			}, map[string]any{"support": nil}},
		}
		for _, s := range steps {
			before := len(fxEvents(t, e, ""))
			res := s.do()
			all := fxEvents(t, e, "")
			if len(all) != before+1 {
				t.Fatalf("%s: %d new events, want 1", s.typ, len(all)-before)
			}
			ev := all[0]
			if ev["type"] != "com.gigs."+s.typ {
				t.Errorf("type = %v, want com.gigs.%s", ev["type"], s.typ)
			}
			fxSameJSON(t, s.typ+" data", ev["data"], res.Body)
			fxSameJSON(t, s.typ+" actor", ev["actor"], actor)
			prev, has := ev["previousData"]
			if strings.HasSuffix(s.typ, ".updated") {
				fxSameJSON(t, s.typ+" previousData", prev, s.prev)
			} else if has {
				t.Errorf("%s carries previousData %v", s.typ, prev)
			}
		}
	})
}

// TestEventEnvelope: the documented CloudEvents fields, each with its value.
func TestEventEnvelope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		u := fxUser(t, e, "jerry@example.com")
		ev := fxEvents(t, e, "")[0]
		for k, want := range map[string]any{"object": "event", "type": "com.gigs.user.created",
			"datacontenttype": "application/json", "project": "acme", "specversion": "1.0"} {
			if ev[k] != want {
				t.Errorf("%s = %v, want %v", k, ev[k], want)
			}
		}
		if id, _ := ev["id"].(string); !strings.HasPrefix(id, "evt_") {
			t.Errorf("id = %v, want evt_ prefix", ev["id"])
		}
		if src, _ := ev["source"].(string); !strings.HasPrefix(src, "http") {
			t.Errorf("source = %v, want a URL", ev["source"])
		}
		if v, _ := ev["version"].(string); len(v) != len("2006-01-02") {
			t.Errorf("version = %v, want a dated API version", ev["version"])
		}
		at, err := time.Parse(time.RFC3339, ev["time"].(string))
		if err != nil || at.Location() != time.UTC || ev["time"] != u["createdAt"] {
			t.Errorf("time = %v, want the UTC creation time %v", ev["time"], u["createdAt"])
		}
		fxSameJSON(t, "GET /events/{id}", e.Get(e.P("/events/"+ev["id"].(string))).Expect(http.StatusOK).Body, ev)
		e.Get(e.P("/events/evt_0000000000000000000000")).ExpectError(http.StatusNotFound, "notFound", "eventNotFound")
	})
}

// TestEventListFilters: type takes one or several types, short or full;
// resource takes the id of the resource; both combine; newest first.
func TestEventListFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		jerry := fxUser(t, e, "jerry@example.com")["id"].(string)
		elaine := fxUser(t, e, "elaine@example.com")["id"].(string)
		e.Patch(e.P("/users/"+jerry), `{"fullName":"Jerry"}`).Expect(http.StatusOK)
		plan := fxPlan(t, e)["id"].(string)
		all := fxEvents(t, e, "")
		if len(all) != 4 {
			t.Fatalf("%d events, want 4", len(all))
		}
		types := func(evs []map[string]any) []string {
			out := []string{}
			for _, ev := range evs {
				out = append(out, strings.TrimPrefix(ev["type"].(string), "com.gigs.")+"@"+ev["data"].(map[string]any)["id"].(string))
			}
			return out
		}
		if got, want := types(all), []string{"plan.created@" + plan, "user.updated@" + jerry, "user.created@" + elaine, "user.created@" + jerry}; !reflect.DeepEqual(got, want) {
			t.Fatalf("all events = %v, want %v", got, want)
		}
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"type=user.created", []string{"user.created@" + elaine, "user.created@" + jerry}},
			{"type=com.gigs.user.created", []string{"user.created@" + elaine, "user.created@" + jerry}},
			{"type=user.updated,com.gigs.plan.created", []string{"plan.created@" + plan, "user.updated@" + jerry}},
			{"type=user.deleted", []string{}},
			{"resource=" + jerry, []string{"user.updated@" + jerry, "user.created@" + jerry}},
			{"resource=" + jerry + "&type=user.created", []string{"user.created@" + jerry}},
			{"resource=" + plan + "&type=user.created", []string{}},
			{"resource=usr_0000000000000000000000", []string{}},
			{"type=user.created&limit=1", []string{"user.created@" + elaine}},
		} {
			if got := types(fxEvents(t, e, c.query)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("?%s = %v, want %v", c.query, got, c.want)
			}
		}
		for _, bad := range []string{"type=user.exploded", "type=com.gigs.nothing", "type=user.created,bogus", "type=User.Created", "type=created"} {
			e.Get(e.P("/events?"+bad)).ExpectError(http.StatusUnprocessableEntity, "invalid", "invalidEnumValue")
		}
		e.Get(e.P("/events?type=")).ExpectError(http.StatusUnprocessableEntity, "invalid", "emptyParameter")
		e.Get(e.P("/events?user="+jerry)).ExpectError(http.StatusUnprocessableEntity, "invalid", "unknownParameter")
	})
}

// TestNoOpPatchRecordsNoEvent: a PATCH that changes nothing is answered
// but leaves the event log alone.
func TestNoOpPatchRecordsNoEvent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		u := e.Post(e.P("/users"), `{"email":"jerry@example.com","fullName":"Jerry","metadata":{"a":"1"}}`).Expect(http.StatusCreated).JSON()
		p := fxPlan(t, e)
		before := len(fxEvents(t, e, ""))
		for _, c := range []struct{ path, body string }{
			{"/users/" + u["id"].(string), `{}`},
			{"/users/" + u["id"].(string), `{"fullName":"Jerry","email":"jerry@example.com","preferredLocale":"en-US","metadata":{"a":"1"}}`},
			{"/users/" + u["id"].(string), `{"metadata":{}}`},
			{"/plans/" + p["id"].(string), `{}`},
			{"/plans/" + p["id"].(string), `{"name":"Basic","status":"available","price":{"amount":1000,"currency":"USD"}}`},
		} {
			r := e.Patch(e.P(c.path), c.body).Expect(http.StatusOK)
			if strings.HasPrefix(c.path, "/users/") {
				fxSameJSON(t, "no-op response", r.Body, u)
			} else {
				fxSameJSON(t, "no-op response", r.Body, p)
			}
		}
		if n := len(fxEvents(t, e, "")); n != before {
			t.Errorf("no-op PATCHes recorded %d events", n-before)
		}
	})
}

// TestCrossProjectIsolation: another project's key can neither read nor
// change this project's users, addresses, plans or events, and its lists
// never show them.
func TestCrossProjectIsolation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		user := e.Post(e.P("/users"), `{"email":"jerry@example.com"}`).Expect(http.StatusCreated).JSON()
		userID := user["id"].(string)
		addr := fxAddress(t, e, userID, 0)
		addrID := addr["id"].(string)
		plan := fxPlan(t, e)
		planID := plan["id"].(string)
		evID := fxEvents(t, e, "")[0]["id"].(string)
		eventsBefore := len(fxEvents(t, e, ""))

		keyB := e.NewProject("vandelay", projects.TypeTest)
		asB := func(method, path string, body any) *apitest.Response {
			return e.Do(apitest.Request{Method: method, Path: path, Key: keyB, Body: body})
		}
		for _, c := range []struct {
			method, path string
			body         any
			code         string
		}{
			// Through A's path: the project itself is hidden.
			{http.MethodGet, "/projects/acme/users/" + userID, nil, "projectNotFound"},
			{http.MethodGet, "/projects/acme/users", nil, "projectNotFound"},
			{http.MethodGet, "/projects/acme/events", nil, "projectNotFound"},
			{http.MethodPost, "/projects/acme/users", `{"email":"kramer@example.com"}`, "projectNotFound"},
			{http.MethodDelete, "/projects/acme/users/" + userID, nil, "projectNotFound"},
			// Through B's path: A's ids do not exist there.
			{http.MethodGet, "/projects/vandelay/users/" + userID, nil, "userNotFound"},
			{http.MethodPatch, "/projects/vandelay/users/" + userID, `{"fullName":"Stolen"}`, "userNotFound"},
			{http.MethodDelete, "/projects/vandelay/users/" + userID, nil, "userNotFound"},
			{http.MethodGet, "/projects/vandelay/users/" + userID + "/addresses", nil, "userNotFound"},
			{http.MethodPost, "/projects/vandelay/users/" + userID + "/addresses", fxAddressBody(1), "userNotFound"},
			{http.MethodGet, "/projects/vandelay/users/" + userID + "/addresses/" + addrID, nil, ""},
			{http.MethodDelete, "/projects/vandelay/users/" + userID + "/addresses/" + addrID, nil, ""},
			{http.MethodGet, "/projects/vandelay/plans/" + planID, nil, "planNotFound"},
			{http.MethodPatch, "/projects/vandelay/plans/" + planID, `{"name":"Stolen"}`, "planNotFound"},
			{http.MethodGet, "/projects/vandelay/events/" + evID, nil, "eventNotFound"},
		} {
			asB(c.method, c.path, c.body).ExpectError(http.StatusNotFound, "notFound", c.code)
		}
		for _, path := range []string{"/projects/vandelay/users", "/projects/vandelay/plans", "/projects/vandelay/events",
			"/projects/vandelay/events?resource=" + userID} {
			if n := len(fxItems(t, asB(http.MethodGet, path, nil))); n != 0 {
				t.Errorf("%s shows %d of acme's items", path, n)
			}
		}
		if n := len(fxItems(t, asB(http.MethodPost, "/projects/vandelay/users/search", `{"email":"jerry@example.com"}`))); n != 0 {
			t.Errorf("search in vandelay finds acme's user")
		}

		fxSameJSON(t, "user", e.Get(e.P("/users/"+userID)).Expect(http.StatusOK).Body, user)
		fxSameJSON(t, "address", e.Get(e.P("/users/"+userID+"/addresses/"+addrID)).Expect(http.StatusOK).Body, addr)
		fxSameJSON(t, "plan", e.Get(e.P("/plans/"+planID)).Expect(http.StatusOK).Body, plan)
		if n := len(fxEvents(t, e, "")); n != eventsBefore {
			t.Errorf("B's attempts recorded %d events in acme", n-eventsBefore)
		}
		// A's key sees nothing of B either.
		asB(http.MethodPost, "/projects/vandelay/users", `{"email":"kramer@example.com"}`).Expect(http.StatusCreated)
		if n := len(fxItems(t, e.Get(e.P("/users")))); n != 1 {
			t.Errorf("acme lists %d users, want 1", n)
		}
		e.Get("/projects/vandelay/users").ExpectError(http.StatusNotFound, "notFound", "projectNotFound")
	})
}
