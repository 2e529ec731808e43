package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

func withKey(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

func postKey(e *apitest.Env, path string, body any, key string) *apitest.Response {
	return e.Do(apitest.Request{Method: http.MethodPost, Path: path, Body: body, Headers: withKey(key)})
}

// TestIdempotentReplay: the same key and body replay the stored response
// with the same status and body, marked as a replay, and create nothing.
func TestIdempotentReplay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		body := `{"email":"idem@example.com","fullName":"Idem"}`
		first := postKey(e, e.P("/users"), body, "k1").Expect(http.StatusCreated)
		if h := first.Header.Get("Idempotent-Replayed"); h != "" {
			t.Errorf("first response has Idempotent-Replayed: %q", h)
		}
		uid := first.ID()
		before := takeSnapshot(t, db)
		for range 3 {
			again := postKey(e, e.P("/users"), body, "k1")
			if again.Status != http.StatusCreated || !bytes.Equal(again.Body, first.Body) {
				t.Errorf("replay: %d %s, want 201 %s", again.Status, again.Body, first.Body)
			}
			if h := again.Header.Get("Idempotent-Replayed"); h != "true" {
				t.Errorf("replay: Idempotent-Replayed = %q, want true", h)
			}
			if ct := again.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("replay: Content-Type = %q", ct)
			}
		}
		expectUnchanged(t, db, before, "replays")
		if n := countRows(t, db, "users", ""); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}
		if n := countRows(t, db, "events", "subject = ?", uid); n != 1 {
			t.Errorf("events about the user = %d, want 1", n)
		}
		// Replays hold even after the user changed: the stored response is
		// what the first request answered.
		e.Patch(e.P("/users/"+uid), map[string]any{"fullName": "Changed"}).Expect(http.StatusOK)
		if again := postKey(e, e.P("/users"), body, "k1"); !bytes.Equal(again.Body, first.Body) {
			t.Errorf("replay after a change: %s, want %s", again.Body, first.Body)
		}

		// A search (200) replays with its own status.
		s1 := postKey(e, e.P("/users/search"), `{"email":"idem@example.com"}`, "search").Expect(http.StatusOK)
		s2 := postKey(e, e.P("/users/search"), `{"email":"idem@example.com"}`, "search").Expect(http.StatusOK)
		if !bytes.Equal(s1.Body, s2.Body) || s2.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("search replay: %s / %s", s1.Body, s2.Body)
		}
		// Without a key the same body is a new request.
		p := minimalPlan("Twice")
		e.Post(e.P("/plans"), p).Expect(http.StatusCreated)
		e.Post(e.P("/plans"), p).Expect(http.StatusCreated)
		if n := countRows(t, db, "plans", ""); n != 2 {
			t.Errorf("plans without keys = %d, want 2", n)
		}
	})
}

// TestIdempotencyKeyMisuse: a key reused with another body or on another
// endpoint is a conflict that changes nothing; keys are per project.
func TestIdempotencyKeyMisuse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		globex := e.NewProject("globex", projects.TypeTest)
		uid := postKey(e, e.P("/users"), `{"email":"a@example.com"}`, "shared").Expect(http.StatusCreated).ID()
		before := takeSnapshot(t, db)
		for _, c := range []struct {
			name, path string
			body       any
		}{
			{"different body", e.P("/users"), `{"email":"b@example.com"}`},
			{"same body with other spacing", e.P("/users"), `{"email": "a@example.com"}`},
			{"different endpoint", e.P("/plans"), minimalPlan("P")},
			{"different user path", e.P("/users/" + uid + "/addresses"), map[string]any{"line1": "1 A St", "city": "Rome", "country": "IT"}},
			{"search endpoint", e.P("/users/search"), `{"email":"a@example.com"}`},
		} {
			expectError(t, c.name, postKey(e, c.path, c.body, "shared"), http.StatusConflict, "conflict", "idempotencyKeyReused", "shared")
		}
		expectUnchanged(t, db, before, "reused keys")
		// Another project may use the same key for itself.
		e.Do(apitest.Request{Method: "POST", Path: "/projects/globex/users", Key: globex, Body: `{"email":"a@example.com"}`,
			Headers: withKey("shared")}).Expect(http.StatusCreated)
		if n := countRows(t, db, "users", "project_id = 'globex'"); n != 1 {
			t.Errorf("globex users = %d, want 1", n)
		}
	})
}

// TestIdempotencyFailuresAreNotStored: a request that fails stores nothing
// under its key, so the corrected retry with the same key succeeds.
func TestIdempotencyFailuresAreNotStored(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		postKey(e, e.P("/users"), `{"email":"taken@example.com"}`, "setup").Expect(http.StatusCreated)
		for _, c := range []struct {
			body          string
			status        int
			typ, code     string
			correctedBody string
		}{
			{`{"email":"not-an-email"}`, 422, "invalid", "emailInvalid", `{"email":"fixed1@example.com"}`},
			{`{"email":"x@example.com","metadata":null}`, 422, "invalid", "fieldNotNullable", `{"email":"fixed2@example.com"}`},
			{`{"email":`, 400, "malformed", "requestBodyInvalidJSON", `{"email":"fixed3@example.com"}`},
			{`{"email":"TAKEN@example.com"}`, 409, "conflict", "userAlreadyExists", `{"email":"fixed4@example.com"}`},
		} {
			key := "retry-" + c.code
			before := takeSnapshot(t, db)
			r := postKey(e, e.P("/users"), c.body, key)
			expectError(t, c.body, r, c.status, c.typ, c.code, "")
			expectUnchanged(t, db, before, c.body)
			// The same failing request fails again the same way; it is not
			// replayed, and it is not a conflict with itself.
			expectError(t, c.body+" again", postKey(e, e.P("/users"), c.body, key), c.status, c.typ, c.code, "")
			ok := postKey(e, e.P("/users"), c.correctedBody, key).Expect(http.StatusCreated)
			if ok.Header.Get("Idempotent-Replayed") != "" {
				t.Errorf("%s: corrected retry marked as a replay", c.body)
			}
			replay := postKey(e, e.P("/users"), c.correctedBody, key)
			if !bytes.Equal(replay.Body, ok.Body) || replay.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("%s: corrected retry is not replayed: %s", c.body, replay.Body)
			}
		}
	})
}

// TestIdempotencyKeyHeader: the key must be 1-255 printable ASCII
// characters; a bad key is invalid and changes nothing.
func TestIdempotencyKeyHeader(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		before := takeSnapshot(t, db)
		for _, key := range []string{strings.Repeat("k", 256), "has space", "tab\tkey", "ümlaut"} {
			expectError(t, fmt.Sprintf("key %q", key), postKey(e, e.P("/users"), `{"email":"h@example.com"}`, key),
				http.StatusUnprocessableEntity, "invalid", "idempotencyKeyInvalid", "Idempotency-Key")
		}
		r := mustRaw(t, e, "POST", e.P("/users"), []byte(`{"email":"h@example.com"}`), map[string]string{
			"Authorization": "Bearer " + e.Key, "Content-Type": "application/json", "Idempotency-Key": ""})
		checkError(t, "empty key", r.Status, r.Header, r.Body, http.StatusUnprocessableEntity, "invalid", "idempotencyKeyInvalid", "")
		expectUnchanged(t, db, before, "bad idempotency keys")
		postKey(e, e.P("/users"), `{"email":"h@example.com"}`, strings.Repeat("k", 255)).Expect(http.StatusCreated)
	})
}

// TestIdempotencyConcurrent: 16 simultaneous requests with one key create
// exactly one resource and one event; every caller gets the same answer.
func TestIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		plan := minimalPlan("Race")
		for _, c := range []struct {
			name, path, table string
			body              string
		}{
			// Users have a unique email: the losers must not see its conflict.
			{"user", e.P("/users"), "users", `{"email":"race@example.com"}`},
			// Plans have no unique column: only the key stops a duplicate.
			{"plan", e.P("/plans"), "plans", mustJSON(t, plan)},
		} {
			const n = 16
			results := make([]*rawResponse, n)
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					h := auth(e.Key)
					h["Idempotency-Key"] = "race-" + c.name
					results[i], errs[i] = rawDo(e, "POST", c.path, []byte(c.body), h)
				}()
			}
			close(start)
			wg.Wait()
			replayed := 0
			for i, r := range results {
				if errs[i] != nil {
					t.Fatalf("%s: request %d: %v", c.name, i, errs[i])
				}
				if r.Status != http.StatusCreated || !bytes.Equal(r.Body, results[0].Body) {
					t.Errorf("%s: request %d answered %d %s, want 201 %s", c.name, i, r.Status, r.Body, results[0].Body)
				}
				if r.Header.Get("Idempotent-Replayed") == "true" {
					replayed++
				}
			}
			if replayed != n-1 {
				t.Errorf("%s: %d replays, want %d", c.name, replayed, n-1)
			}
			if got := countRows(t, db, c.table, ""); got != 1 {
				t.Errorf("%s: %d rows, want 1", c.name, got)
			}
			if got := countRows(t, db, "idempotency_keys", "idem_key = ?", "race-"+c.name); got != 1 {
				t.Errorf("%s: %d idempotency rows, want 1", c.name, got)
			}
		}
		if got := countRows(t, db, "events", ""); got != 2 {
			t.Errorf("%d events, want 2 (one user, one plan)", got)
		}
	})
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
