package api_test

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

func userMetadata(t *testing.T, r *apitest.Response) map[string]string {
	t.Helper()
	var u struct {
		Metadata map[string]string `json:"metadata"`
	}
	r.Decode(&u)
	if u.Metadata == nil {
		t.Fatalf("metadata missing or null in %s", r.Body)
	}
	return u.Metadata
}

func manyKeys(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("k%02d", i)] = "v"
	}
	return m
}

// TestMetadataUpdateRules applies the documented rules through PATCH
// /users/{id}, checking both the response and a fresh GET.
func TestMetadataUpdateRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		created := e.Post(e.P("/users"), map[string]any{"email": "meta@example.com", "metadata": map[string]any{"a": "1", "b": "2", "gone": nil}}).
			Expect(http.StatusCreated)
		uid := created.ID()
		want := map[string]string{"a": "1", "b": "2"}
		if got := userMetadata(t, created); !maps.Equal(got, want) {
			t.Fatalf("created metadata %v, want %v", got, want)
		}
		for _, step := range []struct {
			name string
			body string
			want map[string]string
		}{
			{"replace one key", `{"metadata":{"a":"one"}}`, map[string]string{"a": "one", "b": "2"}},
			{"add one key", `{"metadata":{"c":"3"}}`, map[string]string{"a": "one", "b": "2", "c": "3"}},
			{"delete one key", `{"metadata":{"b":null}}`, map[string]string{"a": "one", "c": "3"}},
			{"delete a missing key", `{"metadata":{"zz":null}}`, map[string]string{"a": "one", "c": "3"}},
			{"set empty", `{"metadata":{"c":""}}`, map[string]string{"a": "one", "c": ""}},
			{"empty object", `{"metadata":{}}`, map[string]string{"a": "one", "c": ""}},
			{"omitted", `{"fullName":"Meta"}`, map[string]string{"a": "one", "c": ""}},
			{"empty body object", `{}`, map[string]string{"a": "one", "c": ""}},
			{"mixed", `{"metadata":{"a":null,"d":"4","c":"x"}}`, map[string]string{"c": "x", "d": "4"}},
		} {
			got := userMetadata(t, e.Patch(e.P("/users/"+uid), step.body).Expect(http.StatusOK))
			if !maps.Equal(got, step.want) {
				t.Errorf("%s: PATCH answered %v, want %v", step.name, got, step.want)
			}
			if got := userMetadata(t, e.Get(e.P("/users/"+uid)).Expect(http.StatusOK)); !maps.Equal(got, step.want) {
				t.Errorf("%s: GET shows %v, want %v", step.name, got, step.want)
			}
		}
		for _, body := range []string{`{"email":"m2@example.com"}`, `{"email":"m3@example.com","metadata":{}}`} {
			if got := userMetadata(t, e.Post(e.P("/users"), body).Expect(http.StatusCreated)); len(got) != 0 {
				t.Errorf("POST %s: metadata %v, want {}", body, got)
			}
		}
		// A no-op PATCH records no event.
		events := countRows(t, db, "events", "subject = ?", uid)
		e.Patch(e.P("/users/"+uid), `{"metadata":{}}`).Expect(http.StatusOK)
		if n := countRows(t, db, "events", "subject = ?", uid); n != events {
			t.Errorf("no-op PATCH recorded %d events", n-events)
		}
	})
}

// TestMetadataLimits: the limits hold on POST and PATCH, count characters
// rather than bytes, and a rejected request changes nothing.
func TestMetadataLimits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		full := e.Post(e.P("/users"), map[string]any{"email": "full@example.com", "metadata": manyKeys(10)}).Expect(http.StatusCreated).ID()
		bad := []struct {
			name     string
			metadata any
			code     string
			field    string
		}{
			{"null", nil, "fieldNotNullable", "metadata"},
			{"11 keys", manyKeys(11), "metadataInvalid", "10"},
			{"key of 41 characters", map[string]any{strings.Repeat("k", 41): "v"}, "metadataInvalid", "40"},
			{"key of 41 letters ü", map[string]any{strings.Repeat("ü", 41): "v"}, "metadataInvalid", "40"},
			{"value of 256 characters", map[string]any{"k": strings.Repeat("v", 256)}, "metadataInvalid", "255"},
			{"emoji value", map[string]any{"k": "hi 👋"}, "metadataInvalid", "emoji"},
			{"emoji key", map[string]any{"🔑": "v"}, "metadataInvalid", "emoji"},
			{"star emoji", map[string]any{"k": "⭐"}, "metadataInvalid", "emoji"},
			{"flag emoji", map[string]any{"k": "🇩🇪"}, "metadataInvalid", "emoji"},
			{"emoji with selector", map[string]any{"k": "❤️"}, "metadataInvalid", "emoji"},
			{"empty key", map[string]any{"": "v"}, "metadataInvalid", "metadata"},
			{"reserved key", map[string]any{"gigs.com/source": "v"}, "metadataInvalid", "gigs.com"},
			{"number value", map[string]any{"k": 1}, "fieldTypeInvalid", "metadata"},
			{"array", []string{"a"}, "fieldTypeInvalid", "metadata"},
			{"string", "a=b", "fieldTypeInvalid", "metadata"},
		}
		before := takeSnapshot(t, db)
		for _, c := range bad {
			r := e.Post(e.P("/users"), map[string]any{"email": "new@example.com", "metadata": c.metadata})
			expectError(t, "POST "+c.name, r, http.StatusUnprocessableEntity, "invalid", c.code, c.field)
			r = e.Patch(e.P("/users/"+full), map[string]any{"metadata": c.metadata})
			expectError(t, "PATCH "+c.name, r, http.StatusUnprocessableEntity, "invalid", c.code, c.field)
		}
		expectError(t, "11th key by PATCH", e.Patch(e.P("/users/"+full), `{"metadata":{"k10":"v"}}`),
			http.StatusUnprocessableEntity, "invalid", "metadataInvalid", "10")
		expectUnchanged(t, db, before, "metadata over the limits")

		good := map[string]any{
			strings.Repeat("k", 40): strings.Repeat("v", 255),
			strings.Repeat("ü", 40): strings.Repeat("é", 255),
			"日本":                    "東京",
			"symbols":               "© ™ → $ € ₿ ½",
		}
		got := userMetadata(t, e.Post(e.P("/users"), map[string]any{"email": "ok@example.com", "metadata": good}).Expect(http.StatusCreated))
		if len(got) != len(good) {
			t.Errorf("metadata at the limits: %v", got)
		}
		// At 10 keys, deleting one and adding one in the same PATCH is fine.
		got = userMetadata(t, e.Patch(e.P("/users/"+full), `{"metadata":{"k00":null,"new":"v"}}`).Expect(http.StatusOK))
		if len(got) != 10 || got["new"] != "v" {
			t.Errorf("swap at 10 keys: %v", got)
		}
	})
}
