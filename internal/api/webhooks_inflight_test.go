package api_test

import (
	"net/http"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/webhooks"
)

// TestWebhookRetryDuringAnAttemptStands: a retry requested while an attempt
// of the same delivery is in flight is not undone by that attempt's
// failure; the delivery is sent again at once, not on the backoff schedule.
func TestWebhookRetryDuringAnAttemptStands(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// After the first failure the schedule would wait an hour.
		e := hookEnv(t, db, webhooks.Config{Schedule: []time.Duration{0, time.Hour}}, true)
		inFlight, release := make(chan struct{}), make(chan struct{})
		rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
			if n == 1 {
				close(inFlight)
				<-release
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		ep, _ := createEndpoint(t, e, map[string]any{"url": rcv.URL})
		createUser(t, e, "inflight@example.com")
		<-inFlight
		id := deliveries(t, e, ep)[0].ID
		e.Post(e.P("/webhookEndpoints/"+ep+"/deliveries/"+id+"/retry"), nil).Expect(http.StatusOK)
		close(release)
		waitFor(t, "the retried delivery", func() bool { return len(rcv.got()) == 2 })
		waitFor(t, "success with both attempts recorded", func() bool {
			d := deliveries(t, e, ep)[0]
			return d.Status == "succeeded" && len(d.Attempts) == 2
		})
	})
}
