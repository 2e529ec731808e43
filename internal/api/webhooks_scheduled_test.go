package api_test

import (
	"net/http"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestWebhooksForScheduledWork: events recorded by scheduled work (an
// activation, a renewal and its invoice) reach the endpoints like any
// other, although that work asks only once per batch whether the project
// has endpoints.
func TestWebhooksForScheduledWork(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "paymentBehavior": "automatic"})
		w.Post(w.P("/webhookEndpoints"), map[string]any{"url": "https://example.com/hooks",
			"enabledEvents": []string{"subscription.activated", "subscription.renewed", "invoice.finalized"}}).Expect(http.StatusCreated)
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		w.advance(3 * time.Hour)
		s = w.sub(s.ID)
		w.advanceTo(s.CurrentPeriod.End.Add(time.Minute))
		for typ, want := range map[string]int{"subscription.activated": 1, "subscription.renewed": 1, "invoice.finalized": 2} {
			got := countRows(t, db, "webhook_deliveries d JOIN events e ON e.id = d.event_id", "e.type = ?", "com.gigs."+typ)
			if got != want {
				t.Errorf("deliveries of %s = %d, want %d", typ, got, want)
			}
		}
	})
}
