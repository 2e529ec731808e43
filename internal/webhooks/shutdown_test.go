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

// TestCleanShutdownFinishesAttemptsInFlight: attempts running when the
// worker is told to stop finish and are recorded, so a clean restart
// sends nothing twice.
func TestCleanShutdownFinishesAttemptsInFlight(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var got atomic.Int32
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got.Add(1)
			time.Sleep(300 * time.Millisecond)
		}))
		defer ts.Close()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "shut", Type: projects.TypeLive}, time.Now()); err != nil {
				return err
			}
			if _, err := Create(ctx, tx, "shut", Input{URL: optional.Of(ts.URL)}, true, time.Now()); err != nil {
				return err
			}
			for range 5 {
				if err := events.Record(ctx, tx, "shut", "user.created", "usr_x", map[string]int{}, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); (&Worker{DB: db, Config: Config{AllowPrivate: true}}).Run(wctx) }()
		for got.Load() < 5 {
			time.Sleep(5 * time.Millisecond)
		}
		stop() // all five are in flight
		<-done
		var ok int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded'`).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok != 5 {
			t.Errorf("%d of 5 attempts in flight were recorded as succeeded", ok)
		}
	})
}
