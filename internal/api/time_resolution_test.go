package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/timeline"
	"cellgate/internal/webhooks"
)

// TestLiveTimestampsHaveWholeSeconds: on a live project, what the
// timeline worker writes (an activation, its event) and what webhook
// delivery records (nextAttemptAt, attemptedAt, createdAt, updatedAt) have
// the one-second resolution of every other timestamp.
func TestLiveTimestampsHaveWholeSeconds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{Schedule: []time.Duration{0, time.Hour}}, true)
		e.Project, e.Key = "live", e.NewProject("live", projects.TypeLive)
		w := &world{Env: e, t: t}
		rcv := newReceiver(t, status(http.StatusServiceUnavailable))
		ep, _ := createEndpoint(t, e, map[string]any{"url": rcv.URL, "enabledEvents": []string{"subscription.activated"}})
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		// The live workers make the activation call, then the activation is
		// due after the carrier's delay; make it due now (with a fraction,
		// as any wall-clock due time has) and let them run it.
		plat := platform.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{}, 2)
		go func() { plat.Outbound.Work(ctx, 20*time.Millisecond); done <- struct{}{} }()
		go func() { plat.Timeline.Work(ctx, 20*time.Millisecond); done <- struct{}{} }()
		t.Cleanup(func() { stop(); <-done; <-done })
		waitFor(t, "the activation call", func() bool {
			ts, err := timeline.Pending(context.Background(), db, s.ID)
			return err == nil && len(ts) == 1
		})
		due := time.Now().Add(-time.Second)
		if _, err := db.Exec(context.Background(), `UPDATE timeline SET due_at = ? WHERE subject = ?`, store.Micros(due), s.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the activation", func() bool { return w.sub(s.ID).Status == "active" })
		waitFor(t, "the first failed attempt", func() bool {
			ds := deliveries(t, e, ep)
			return len(ds) == 1 && len(ds[0].Attempts) == 1
		})
		for _, path := range []string{"/subscriptions/" + s.ID, "/events?resource=" + s.ID, "/webhookEndpoints/" + ep + "/deliveries"} {
			body := e.Get(e.P(path)).Expect(http.StatusOK).Body
			if n := countTimes(t, body); n == 0 {
				t.Fatalf("%s shows no timestamps: %s", path, body)
			}
			if frac := fractionalTimes(t, body); len(frac) > 0 {
				t.Errorf("%s has timestamps finer than a second: %v", path, frac)
			}
		}
		var d struct {
			Items []struct {
				NextAttemptAt *time.Time `json:"nextAttemptAt"`
			} `json:"items"`
		}
		e.Get(e.P("/webhookEndpoints/" + ep + "/deliveries")).Expect(http.StatusOK).Decode(&d)
		if len(d.Items) != 1 || d.Items[0].NextAttemptAt == nil {
			t.Fatalf("the failed delivery has no next attempt: %+v", d)
		}
	})
}

// fractionalTimes returns the RFC 3339 strings in a JSON document that
// carry fractions of a second.
func fractionalTimes(t *testing.T, body []byte) []string {
	var out []string
	walkTimes(t, body, func(s string, at time.Time) {
		if at.Nanosecond() != 0 {
			out = append(out, s)
		}
	})
	return out
}

func countTimes(t *testing.T, body []byte) int {
	n := 0
	walkTimes(t, body, func(string, time.Time) { n++ })
	return n
}

func walkTimes(t *testing.T, body []byte, f func(string, time.Time)) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if at, err := time.Parse(time.RFC3339Nano, v); err == nil {
				f(v, at)
			}
		}
	}
	walk(v)
}
