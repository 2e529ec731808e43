package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestIdempotencyKeysExpireAfterADay: a stored response is replayed for a
// day; once purged, the key starts a new request.
func TestIdempotencyKeysExpireAfterADay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		post := func(email string) *apitest.Response {
			return e.Do(apitest.Request{Method: http.MethodPost, Path: e.P("/users"), Body: map[string]any{"email": email},
				Headers: map[string]string{"Idempotency-Key": "k-1"}})
		}
		first := post("a@example.com").Expect(http.StatusCreated).ID()
		if n, err := api.PurgeIdempotencyKeys(context.Background(), db, time.Now().Add(23*time.Hour)); err != nil || n != 0 {
			t.Fatalf("purge before a day: %d, %v", n, err)
		}
		if again := post("a@example.com").Expect(http.StatusCreated).ID(); again != first {
			t.Fatalf("replay within a day gave %s, want %s", again, first)
		}
		if n, err := api.PurgeIdempotencyKeys(context.Background(), db, time.Now().Add(25*time.Hour)); err != nil || n != 1 {
			t.Fatalf("purge after a day: %d, %v", n, err)
		}
		// The key is free again: a new body under it is a new request.
		if next := post("b@example.com").Expect(http.StatusCreated).ID(); next == first {
			t.Fatal("an expired key still replayed")
		}
	})
}
