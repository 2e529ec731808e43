package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestAPIKeysAreStoredHashed: the api_keys table holds the SHA-256 of each
// key and never the key itself, in any column.
func TestAPIKeysAreStoredHashed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		other := e.NewProject("globex", projects.TypeTest)
		e.Get("/projects").Expect(http.StatusOK)
		sum := sha256.Sum256([]byte(e.Key))
		if n := countRows(t, db, "api_keys", "project_id = ? AND secret_hash = ?", "acme", hex.EncodeToString(sum[:])); n != 1 {
			t.Errorf("api_keys rows with the key's SHA-256 = %d, want 1", n)
		}
		rows, err := db.Query(context.Background(), "SELECT * FROM api_keys")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		seen := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				s := fmt.Sprintf("%s", v)
				for _, key := range []string{e.Key, other} {
					if strings.Contains(s, key) || strings.Contains(s, strings.TrimPrefix(key, projects.KeyPrefix)) {
						t.Errorf("api_keys.%s holds the API key itself", cols[i])
					}
				}
			}
			seen++
		}
		if seen != 2 {
			t.Errorf("api_keys has %d rows, want 2", seen)
		}
	})
}

// TestKeyNeverSeesAnotherProject: a key answers notFound for another
// project, exactly as for a project that does not exist, and lists only its
// own project.
func TestKeyNeverSeesAnotherProject(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		globexKey := e.NewProject("globex", projects.TypeTest)
		theirUser := e.Do(apitest.Request{Method: http.MethodPost, Path: "/projects/globex/users", Key: globexKey,
			Body: map[string]any{"email": "their@example.com"}}).Expect(http.StatusCreated).ID()
		theirPlan := e.Do(apitest.Request{Method: http.MethodPost, Path: "/projects/globex/plans", Key: globexKey, Body: minimalPlan("Theirs")}).
			Expect(http.StatusCreated).ID()
		before := takeSnapshot(t, db)

		for _, c := range []struct{ method, path string }{
			{"GET", "/projects/globex"},
			{"PATCH", "/projects/globex"},
			{"GET", "/projects/globex/users"},
			{"POST", "/projects/globex/users"},
			{"GET", "/projects/globex/users/" + theirUser},
			{"PATCH", "/projects/globex/users/" + theirUser},
			{"DELETE", "/projects/globex/users/" + theirUser},
			{"POST", "/projects/globex/users/" + theirUser + "/addresses"},
			{"GET", "/projects/globex/plans/" + theirPlan},
			{"GET", "/projects/globex/events"},
		} {
			body := `{"email":"mine@example.com","name":"x"}`
			got := e.Do(apitest.Request{Method: c.method, Path: c.path, Body: body})
			expectError(t, c.method+" "+c.path, got, http.StatusNotFound, "notFound", "projectNotFound", "")
			// A project that does not exist gets the very same answer, so
			// a key cannot probe which projects exist.
			ghost := e.Do(apitest.Request{Method: c.method, Path: strings.Replace(c.path, "globex", "ghost", 1), Body: body})
			if want := strings.ReplaceAll(string(got.Body), "globex", "ghost"); string(ghost.Body) != want || ghost.Status != got.Status {
				t.Errorf("%s %s: other project answers %d %s, missing project %d %s", c.method, c.path, got.Status, got.Body, ghost.Status, ghost.Body)
			}
		}
		// Their resources are not reachable under our own path either.
		expectError(t, "their user under acme", e.Get(e.P("/users/"+theirUser)), http.StatusNotFound, "notFound", "userNotFound", "")
		expectError(t, "their plan under acme", e.Get(e.P("/plans/"+theirPlan)), http.StatusNotFound, "notFound", "planNotFound", "")
		expectUnchanged(t, db, before, "requests for another project")

		var list struct {
			Items []struct{ ID string } `json:"items"`
		}
		e.Get("/projects").Expect(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].ID != "acme" {
			t.Errorf("GET /projects = %+v, want only acme", list.Items)
		}
		var events struct {
			Items []map[string]any `json:"items"`
		}
		e.Get(e.P("/events")).Expect(http.StatusOK).Decode(&events)
		if len(events.Items) != 0 {
			t.Errorf("acme sees %d events, want 0 (all events belong to globex)", len(events.Items))
		}
	})
}

// TestAuthentication: only "Bearer <live key>" authenticates.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		revoked := e.NewProject("initech", projects.TypeTest)
		if _, err := db.Exec(context.Background(), `UPDATE api_keys SET revoked_at = 1 WHERE project_id = 'initech'`); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, header string
		}{
			{"missing", ""},
			{"no scheme", e.Key},
			{"basic scheme", "Basic " + e.Key},
			{"empty bearer", "Bearer "},
			{"blank bearer", "Bearer    "},
			{"unknown key", "Bearer cgk_000000000000000000000000000000000"},
			{"key with a character changed", "Bearer " + changeLast(e.Key)},
			{"revoked key", "Bearer " + revoked},
		} {
			h := map[string]string{}
			if c.header != "" {
				h["Authorization"] = c.header
			}
			r := mustRaw(t, e, "GET", e.P("/users"), nil, h)
			checkError(t, c.name, r.Status, r.Header, r.Body, http.StatusUnauthorized, "unauthenticated", "", "")
		}
		for _, h := range []string{"Bearer " + e.Key, "bearer " + e.Key, "BEARER " + e.Key} {
			if r := mustRaw(t, e, "GET", e.P("/users"), nil, map[string]string{"Authorization": h}); r.Status != http.StatusOK {
				t.Errorf("Authorization %q: status %d, want 200: %s", h[:7], r.Status, r.Body)
			}
		}
	})
}

// changeLast returns key with its last character replaced by another one.
func changeLast(key string) string {
	last := "x"
	if key[len(key)-1] == 'x' {
		last = "y"
	}
	return key[:len(key)-1] + last
}

// minimalPlan is a valid plan body.
func minimalPlan(name string) map[string]any {
	return map[string]any{
		"name": name, "provider": "p9", "simTypes": []string{"eSIM"},
		"price":      map[string]any{"amount": 1000, "currency": "USD"},
		"allowances": map[string]any{"dataBytes": 1000000000, "voiceSeconds": nil, "smsMessages": nil},
		"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"},
	}
}
