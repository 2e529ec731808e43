package api_test

import (
	"bytes"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// rfc3339Seconds is how every timestamp is written: UTC, whole seconds.
var rfc3339Seconds = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)

// timestamps collects every string field named like a timestamp
// (createdAt, updatedAt, time, ...) anywhere in a JSON document.
func timestamps(v any, path string, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (strings.HasSuffix(k, "At") || k == "time") {
				out[path+"."+k] = s
			}
			timestamps(x, path+"."+k, out)
		}
	case []any:
		for i, x := range v {
			timestamps(x, path+"["+strconv.Itoa(i)+"]", out)
		}
	}
}

// TestTimestampsAreRFC3339UTC: every timestamp of every resource, in
// creates, reads, lists and events, ends in Z and has no fraction.
func TestTimestampsAreRFC3339UTC(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		user := e.Post(e.P("/users"), map[string]any{"email": "time@example.com"}).Expect(http.StatusCreated)
		uid := user.ID()
		addr := e.Post(e.P("/users/"+uid+"/addresses"), map[string]any{"line1": "1 Main St", "city": "Berlin", "country": "DE"}).Expect(http.StatusCreated)
		plan := e.Post(e.P("/plans"), minimalPlan("Clock")).Expect(http.StatusCreated)
		responses := map[string]*apitest.Response{
			"create user": user, "create address": addr, "create plan": plan,
			"get user": e.Get(e.P("/users/" + uid)), "list users": e.Get(e.P("/users")),
			"list addresses": e.Get(e.P("/users/" + uid + "/addresses")), "get plan": e.Get(e.P("/plans/" + plan.ID())),
			"list plans": e.Get(e.P("/plans")), "project": e.Get(e.P("")), "projects": e.Get("/projects"),
			"events": e.Get(e.P("/events")),
		}
		for name, r := range responses {
			want := http.StatusOK
			if strings.HasPrefix(name, "create") {
				want = http.StatusCreated
			}
			r.Expect(want)
			found := map[string]string{}
			var doc any
			r.Decode(&doc)
			timestamps(doc, "", found)
			if len(found) == 0 {
				t.Errorf("%s: no timestamps found in %s", name, r.Body)
			}
			for path, s := range found {
				if !rfc3339Seconds.MatchString(s) {
					t.Errorf("%s: %s = %q, want RFC 3339 UTC without fraction", name, path, s)
				}
			}
		}
	})
}

// TestRequestID: a sane X-Request-Id is echoed, anything else is replaced
// by a generated one, on every kind of response.
func TestRequestID(t *testing.T) {
	t.Parallel()
	generated := regexp.MustCompile(`^req_[0-9A-Za-z]{22}$`)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		paths := map[string]map[string]string{
			"200": auth(e.Key), "401": {}, "404 route": auth(e.Key),
		}
		target := map[string]string{"200": e.P("/users"), "401": e.P("/users"), "404 route": "/nowhere"}
		for name, h := range paths {
			seen := map[string]bool{}
			for i := 0; i < 2; i++ {
				r := mustRaw(t, e, "GET", target[name], nil, h)
				id := r.Header.Get("X-Request-Id")
				if !generated.MatchString(id) || seen[id] {
					t.Errorf("%s: generated X-Request-Id %q (seen before: %v)", name, id, seen[id])
				}
				seen[id] = true
			}
			for _, sane := range []string{"abc-123", "req_client_side_ID", "0f8fad5b-d9cb-469f-a165-70867728950e", strings.Repeat("a", 64)} {
				hh := map[string]string{"X-Request-Id": sane}
				for k, v := range h {
					hh[k] = v
				}
				if got := mustRaw(t, e, "GET", target[name], nil, hh).Header.Get("X-Request-Id"); got != sane {
					t.Errorf("%s: sane X-Request-Id %q answered with %q", name, sane, got)
				}
			}
			for _, garbage := range []string{"has space", "a/b", "<script>", "ümlaut", strings.Repeat("a", 65), "x\ty", "a;b"} {
				hh := map[string]string{"X-Request-Id": garbage}
				for k, v := range h {
					hh[k] = v
				}
				if got := mustRaw(t, e, "GET", target[name], nil, hh).Header.Get("X-Request-Id"); !generated.MatchString(got) {
					t.Errorf("%s: garbage X-Request-Id %q answered with %q, want a generated id", name, garbage, got)
				}
			}
		}
	})
}

// TestBodySizeLimit: a body over 1 MiB is malformed and creates nothing; a
// body of exactly 1 MiB is read.
func TestBodySizeLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		pad := func(body string, size int) []byte {
			return append([]byte(body), bytes.Repeat([]byte(" "), size-len(body))...)
		}
		before := takeSnapshot(t, db)
		for _, size := range []int{api.DefaultBodyLimit + 1, 2 * api.DefaultBodyLimit, 8 * api.DefaultBodyLimit} {
			r := e.Do(apitest.Request{Method: "POST", Path: e.P("/users"), Body: pad(`{"email":"big@example.com"}`, size),
				Headers: map[string]string{"Idempotency-Key": "big"}})
			expectError(t, "oversized body", r, http.StatusBadRequest, "malformed", "requestBodyTooLarge", "")
		}
		// A large string value inside the JSON, not only padding.
		huge := `{"email":"big@example.com","fullName":"` + strings.Repeat("x", api.DefaultBodyLimit) + `"}`
		expectError(t, "oversized value", e.Post(e.P("/users"), huge), http.StatusBadRequest, "malformed", "requestBodyTooLarge", "")
		expectUnchanged(t, db, before, "oversized bodies")
		e.Post(e.P("/users"), pad(`{"email":"big@example.com"}`, api.DefaultBodyLimit)).Expect(http.StatusCreated)
	})
}

// TestContentType: a body must be declared as JSON; a request without a
// Content-Type is read as JSON, as curl --data-binary clients expect.
func TestContentType(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		body := []byte(`{"email":"ct@example.com"}`)
		before := takeSnapshot(t, db)
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
			"application/xml", "application/", "json", "text/json; charset=utf-8"} {
			h := auth(e.Key)
			h["Content-Type"] = ct
			r := mustRaw(t, e, "POST", e.P("/users"), body, h)
			checkError(t, "Content-Type "+ct, r.Status, r.Header, r.Body, http.StatusBadRequest, "malformed", "unsupportedContentType", "")
		}
		expectUnchanged(t, db, before, "bodies that are not JSON")
		for i, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json", ""} {
			h := auth(e.Key)
			delete(h, "Content-Type")
			if ct != "" {
				h["Content-Type"] = ct
			}
			email := []byte(strings.Replace(string(body), "ct@", "ct"+string(rune('a'+i))+"@", 1))
			if r := mustRaw(t, e, "POST", e.P("/users"), email, h); r.Status != http.StatusCreated {
				t.Errorf("Content-Type %q: status %d, want 201: %s", ct, r.Status, r.Body)
			}
		}
		// Without a body the Content-Type does not matter.
		h := auth(e.Key)
		h["Content-Type"] = "text/plain"
		if r := mustRaw(t, e, "GET", e.P("/users"), nil, h); r.Status != http.StatusOK {
			t.Errorf("GET with Content-Type text/plain and no body: %d %s", r.Status, r.Body)
		}
	})
}

// TestCreatesAnswer201: every create answers 201; a search that creates
// nothing answers 200.
func TestCreatesAnswer201(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		uid := e.Post(e.P("/users"), map[string]any{"email": "c@example.com"}).Expect(http.StatusCreated).ID()
		aid := e.Post(e.P("/users/"+uid+"/addresses"), map[string]any{"line1": "1 Rue", "city": "Paris", "country": "FR"}).Expect(http.StatusCreated).ID()
		pid := e.Post(e.P("/plans"), minimalPlan("Created")).Expect(http.StatusCreated).ID()
		// Ids carry their type's prefix and 22 base62 characters.
		for id, prefix := range map[string]string{uid: "usr", aid: "adr", pid: "pln"} {
			if !regexp.MustCompile(`^` + prefix + `_[0-9A-Za-z]{22}$`).MatchString(id) {
				t.Errorf("id %q, want %s_ and 22 base62 characters", id, prefix)
			}
		}
		e.Post(e.P("/users/search"), map[string]any{"email": "c@example.com"}).Expect(http.StatusOK)
		e.Patch(e.P("/users/"+uid), map[string]any{"fullName": "C"}).Expect(http.StatusOK)
		e.Delete(e.P("/users/" + uid)).Expect(http.StatusOK)
	})
}

// TestUnknownRouteAndWrongMethod: both answer in the error envelope; 405
// names every allowed method.
func TestUnknownRouteAndWrongMethod(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		uid := e.Post(e.P("/users"), map[string]any{"email": "r@example.com"}).Expect(http.StatusCreated).ID()
		for _, path := range []string{"/nowhere", e.P("/nothing"), e.P("/users/" + uid + "/nothing"), "/projects/acme/users/" + uid + "/addresses/x/y"} {
			for _, m := range []string{"GET", "POST"} {
				expectError(t, m+" "+path, e.Do(apitest.Request{Method: m, Path: path}), http.StatusNotFound, "notFound", "routeNotFound", "")
			}
		}
		for _, c := range []struct {
			method, path string
			allow        []string
		}{
			{"PUT", e.P("/users"), []string{"GET", "POST"}},
			{"DELETE", e.P("/users"), []string{"GET", "POST"}},
			{"PUT", e.P("/users/" + uid), []string{"DELETE", "GET", "PATCH"}},
			{"POST", e.P("/users/" + uid), []string{"DELETE", "GET", "PATCH"}},
			{"DELETE", e.P("/plans/pln_x"), []string{"GET", "PATCH"}},
			{"POST", "/healthz", []string{"GET"}},
			{"DELETE", "/projects", []string{"GET"}},
		} {
			r := e.Do(apitest.Request{Method: c.method, Path: c.path})
			what := c.method + " " + c.path
			expectError(t, what, r, http.StatusMethodNotAllowed, "malformed", "methodNotAllowed", "")
			var got []string
			for _, m := range strings.Split(r.Header.Get("Allow"), ",") {
				if m = strings.TrimSpace(m); m != "" && m != "HEAD" {
					got = append(got, m)
				}
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(c.allow, ",") {
				t.Errorf("%s: Allow %q, want %v", what, r.Header.Get("Allow"), c.allow)
			}
		}
	})
}
