package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

type apiKeyView struct {
	Object     string  `json:"object"`
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	LastUsedAt *string `json:"lastUsedAt"`
	RevokedAt  *string `json:"revokedAt"`
	Secret     string  `json:"secret"`
}

// TestRevokedKeyIsRefusedAtOnceOnEveryReplica: two servers share the
// database; a key both have just accepted is revoked through one, and the
// very next request to the other is refused (there used to be a 30 s
// cache of verified keys).
func TestRevokedKeyIsRefusedAtOnceOnEveryReplica(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := apitest.New(t, db)
		other := httptest.NewServer(api.New(api.Config{DB: db, Logger: slog.New(slog.DiscardHandler)}).Handler())
		t.Cleanup(other.Close)
		b := &apitest.Env{T: t, DB: db, Server: other, Project: a.Project, Key: a.Key}
		var k apiKeyView
		a.Post(a.P("/apiKeys"), map[string]any{"name": "mobile backend"}).Expect(http.StatusCreated).Decode(&k)
		for _, env := range []*apitest.Env{a, b} {
			env.Do(apitest.Request{Method: http.MethodGet, Path: env.P("/users"), Key: k.Secret}).Expect(http.StatusOK)
		}
		a.Do(apitest.Request{Method: http.MethodPost, Path: a.P("/apiKeys/" + k.ID + "/revoke"), Key: k.Secret}).Expect(http.StatusOK)
		for _, env := range []*apitest.Env{b, a} {
			env.Do(apitest.Request{Method: http.MethodGet, Path: env.P("/users"), Key: k.Secret}).ExpectError(http.StatusUnauthorized, "unauthenticated", "")
		}
		a.Post(a.P("/apiKeys/"+k.ID+"/revoke"), nil).ExpectError(http.StatusConflict, "conflict", "apiKeyRevoked")
	})
}

// TestAPIKeySecretIsShownOnceAndListedByPrefix: creation answers the secret
// (never cached); the list and the key show its prefix and last use only.
func TestAPIKeySecretIsShownOnceAndListedByPrefix(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		r := e.Post(e.P("/apiKeys"), map[string]any{"name": "ci"}).Expect(http.StatusCreated)
		if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
		var k apiKeyView
		r.Decode(&k)
		if !strings.HasPrefix(k.Secret, "cgk_") || len(k.Secret) != 36 || !strings.HasPrefix(k.Secret, k.Prefix) || len(k.Prefix) != 10 || k.LastUsedAt != nil {
			t.Fatalf("created key = %+v", k)
		}
		e.Do(apitest.Request{Method: http.MethodGet, Path: e.P("/plans"), Key: k.Secret}).Expect(http.StatusOK)
		var got apiKeyView
		raw := e.Get(e.P("/apiKeys/" + k.ID)).Expect(http.StatusOK)
		raw.Decode(&got)
		if got.Secret != "" || strings.Contains(string(raw.Body), k.Secret) || got.LastUsedAt == nil || got.Prefix != k.Prefix {
			t.Fatalf("key after use = %s", raw.Body)
		}
		var list struct{ Items []apiKeyView }
		page := e.Get(e.P("/apiKeys")).Expect(http.StatusOK)
		page.Decode(&list)
		if len(list.Items) != 2 || list.Items[0].ID != k.ID || strings.Contains(string(page.Body), k.Secret) {
			t.Fatalf("list = %s", page.Body)
		}
		e.Post(e.P("/apiKeys"), map[string]any{"name": ""}).ExpectError(http.StatusUnprocessableEntity, "invalid", "fieldInvalid")
		e.Post(e.P("/apiKeys"), map[string]any{"name": strings.Repeat("x", 101)}).ExpectError(http.StatusUnprocessableEntity, "invalid", "fieldInvalid")
		e.Get(e.P("/apiKeys/apk_0000000000000000000000")).ExpectError(http.StatusNotFound, "notFound", "")
	})
}

// TestAPIKeyEventsNameTheirActor: apiKey.created and the revocation event
// carry the key without its secret, and the key that acted.
func TestAPIKeyEventsNameTheirActor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		var k apiKeyView
		e.Post(e.P("/apiKeys"), map[string]any{"name": "ci"}).Expect(http.StatusCreated).Decode(&k)
		e.Post(e.P("/apiKeys/"+k.ID+"/revoke"), map[string]any{}).Expect(http.StatusOK)
		var page struct {
			Items []struct {
				Type  string          `json:"type"`
				Data  json.RawMessage `json:"data"`
				Actor map[string]string
			}
		}
		e.Get(e.P("/events?resource=" + k.ID)).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 2 || page.Items[0].Type != "com.cellgate.apiKey.revoked" || page.Items[1].Type != "com.gigs.apiKey.created" {
			t.Fatalf("events = %+v", page.Items)
		}
		for _, ev := range page.Items {
			if strings.Contains(string(ev.Data), k.Secret) || ev.Actor["type"] != "apiKey" || ev.Actor["apiKey"] == "" || ev.Actor["apiKey"] == k.ID {
				t.Fatalf("event %s: data %s actor %v", ev.Type, ev.Data, ev.Actor)
			}
		}
	})
}
