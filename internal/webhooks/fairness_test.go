package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestSlowEndpointDoesNotStallOthers: an endpoint that takes a second per
// answer holds at most its share of the attempts in flight, so another
// endpoint's backlog, enqueued after it, is delivered meanwhile.
func TestSlowEndpointDoesNotStallOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var slowGot, fastGot atomic.Int32
		// The slow endpoint answers only when the test ends, so "while it
		// is busy" holds however loaded the machine is.
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			slowGot.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer slow.Close()
		fast := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { fastGot.Add(1) }))
		defer fast.Close()
		record := func(typ string, n int) {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				for range n {
					if err := events.Record(ctx, tx, "fair", typ, "x", map[string]int{}, time.Now()); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "fair", Type: projects.TypeLive}, time.Now()); err != nil {
				return err
			}
			if _, err := Create(ctx, tx, "fair", Input{URL: optional.Of(slow.URL), EnabledEvents: optional.Of([]string{"user.created"})}, true, time.Now()); err != nil {
				return err
			}
			_, err := Create(ctx, tx, "fair", Input{URL: optional.Of(fast.URL), EnabledEvents: optional.Of([]string{"plan.created"})}, true, time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		record("user.created", 40) // the slow endpoint's backlog comes first
		record("plan.created", 40)
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			(&Worker{DB: db, Config: Config{AllowPrivate: true, Concurrency: 8, MaxPerEndpoint: 4}}).Run(wctx)
		}()
		defer func() { close(release); stop(); <-done }()
		deadline := time.Now().Add(10 * time.Second)
		for fastGot.Load() < 40 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := fastGot.Load(); n < 40 {
			t.Errorf("the fast endpoint got %d of 40 while the slow one was busy", n)
		}
		if n := slowGot.Load(); n > 4 {
			t.Errorf("the slow endpoint had %d attempts in flight, more than its share of 4", n)
		}
	})
}
