package api_test

import (
	"net/http"
	"slices"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestWritesRejectQueryParameters: write endpoints take no query string;
// a parameter is invalid and changes nothing, and a missing resource in
// the path still answers 404 first.
func TestWritesRejectQueryParameters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		user := e.Post(e.P("/users"), map[string]any{"email": "q@example.com"}).Expect(http.StatusCreated).ID()
		before := tableRows(t, db, "users", "events")
		for _, r := range []apitest.Request{
			{Method: http.MethodPost, Path: e.P("/users?dryRun=true"), Body: map[string]any{"email": "other@example.com"}},
			{Method: http.MethodPatch, Path: e.P("/users/" + user + "?x=1"), Body: map[string]any{"fullName": "X"}},
			{Method: http.MethodDelete, Path: e.P("/users/" + user + "?force=true")},
			{Method: http.MethodPost, Path: e.P("/plans?x=1"), Body: map[string]any{}},
		} {
			e.Do(r).ExpectError(http.StatusUnprocessableEntity, "invalid", "unknownParameter")
		}
		if after := tableRows(t, db, "users", "events"); !slices.Equal(before, after) {
			t.Fatalf("rows %v → %v", before, after)
		}
		e.Do(apitest.Request{Method: http.MethodPatch, Path: e.P("/users/usr_missing?x=1"), Body: map[string]any{}}).
			ExpectError(http.StatusNotFound, "notFound", "")
	})
}
