package api_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/network"
	"cellgate/internal/platform"
	"cellgate/internal/store"
)

// world is a test project with helpers for lifecycle scenarios. Its clock
// starts at a fixed instant, so scenarios are the same on every run.
type world struct {
	*apitest.Env
	t testing.TB
}

// worldStart is where every scenario's clock begins: a Monday in January,
// before a month end.
var worldStart = time.Date(2030, time.January, 7, 9, 0, 0, 0, time.UTC)

var emailSeq atomic.Int64

func newWorld(t testing.TB, db *store.DB) *world {
	return newWorldWith(t, db, api.Config{})
}

// newWorldWith is newWorld on a server built from cfg (its logger, its
// metrics registry).
func newWorldWith(t testing.TB, db *store.DB, cfg api.Config) *world {
	w := &world{Env: apitest.NewWith(t, db, cfg), t: t}
	w.advanceTo(worldStart)
	return w
}

// newWorldOn is newWorld on a server whose platform reaches the carriers
// of reg.
func newWorldOn(t testing.TB, db *store.DB, carriers *network.Registry) *world {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	return newWorldWith(t, db, api.Config{Logger: log, Platform: platform.New(db, log, carriers)})
}

func (w *world) now() time.Time {
	w.t.Helper()
	var c struct{ Now time.Time }
	w.Get("/testing/projects/" + w.Project + "/clock").Expect(http.StatusOK).Decode(&c)
	return c.Now
}

func (w *world) advanceTo(at time.Time) {
	w.t.Helper()
	w.Post("/testing/projects/"+w.Project+"/clock/advance", map[string]any{"to": at.Format(time.RFC3339)}).Expect(http.StatusOK)
}

func (w *world) advance(d time.Duration) { w.advanceTo(w.now().Add(d)) }

func (w *world) user(fields map[string]any) string {
	w.t.Helper()
	body := map[string]any{"email": fmt.Sprintf("user%d@example.com", emailSeq.Add(1)), "fullName": "Jerry Seinfeld"}
	for k, v := range fields {
		body[k] = v
	}
	return w.Post(w.P("/users"), body).Expect(http.StatusCreated).ID()
}

func (w *world) address(user string) string {
	w.t.Helper()
	return w.Post(w.P("/users/"+user+"/addresses"), map[string]any{
		"line1": "129 West 81st Street", "city": "New York City", "state": "NY", "postalCode": "10024", "country": "US",
	}).Expect(http.StatusCreated).ID()
}

// plan creates a monthly recurring plan on the test provider (activation
// after 2 minutes) that accepts both SIM types; fields override.
func (w *world) plan(fields map[string]any) string {
	w.t.Helper()
	body := map[string]any{
		"name": "Monthly", "provider": "test", "simTypes": []string{"eSIM", "pSIM"},
		"price":      map[string]any{"amount": 1000, "currency": "USD"},
		"allowances": map[string]any{"dataBytes": 1000000000, "voiceSeconds": nil, "smsMessages": nil},
		"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"},
	}
	for k, v := range fields {
		body[k] = v
	}
	return w.Post(w.P("/plans"), body).Expect(http.StatusCreated).ID()
}

// sub is a subscription as the API returns it.
type sub struct {
	ID                  string            `json:"id"`
	Status              string            `json:"status"`
	PhoneNumber         *string           `json:"phoneNumber"`
	ActivatedAt         *time.Time        `json:"activatedAt"`
	CanceledAt          *time.Time        `json:"canceledAt"`
	EndedAt             *time.Time        `json:"endedAt"`
	EarliestEndAt       *time.Time        `json:"earliestEndAt"`
	FirstUsageAt        *time.Time        `json:"firstUsageAt"`
	CancellationDetails map[string]any    `json:"cancellationDetails"`
	CurrentPeriod       *period           `json:"currentPeriod"`
	SIM                 *simView          `json:"sim"`
	Plan                map[string]any    `json:"plan"`
	User                map[string]any    `json:"user"`
	Metadata            map[string]string `json:"metadata"`
}

type period struct {
	Number int       `json:"number"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

type simView struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Type     string `json:"type"`
	ICCID    string `json:"iccid"`
	Provider string `json:"provider"`
}

func (w *world) subscribe(plan, user, sim string, extra map[string]any) sub {
	w.t.Helper()
	body := map[string]any{"plan": plan, "user": user, "sim": sim}
	for k, v := range extra {
		body[k] = v
	}
	var s sub
	w.Post(w.P("/subscriptions"), body).Expect(http.StatusCreated).Decode(&s)
	return s
}

// activeSub subscribes and advances past the longest activation delay of
// the simulated providers (three hours).
func (w *world) activeSub(plan, user, sim string) sub {
	w.t.Helper()
	s := w.subscribe(plan, user, sim, nil)
	w.advance(3 * time.Hour)
	got := w.sub(s.ID)
	if got.Status != "active" {
		w.t.Fatalf("subscription %s is %s after activation, want active", s.ID, got.Status)
	}
	return got
}

func (w *world) sub(id string) sub {
	w.t.Helper()
	var s sub
	w.Get(w.P("/subscriptions/" + id)).Expect(http.StatusOK).Decode(&s)
	return s
}

func (w *world) action(id, action string, body any) *apitest.Response {
	return w.Do(apitest.Request{Method: http.MethodPost, Path: w.P("/subscriptions/" + id + "/" + action), Body: body})
}

func (w *world) sim(id string) simView {
	w.t.Helper()
	var s simView
	w.Get(w.P("/sims/" + id)).Expect(http.StatusOK).Decode(&s)
	return s
}

// eventsOf lists the event types recorded about a resource, oldest first,
// with their times.
func (w *world) eventsOf(resource string) []recordedEvent {
	w.t.Helper()
	var newestFirst []recordedEvent
	after := ""
	for {
		var page struct {
			Items          []recordedEvent `json:"items"`
			MoreItemsAfter *string         `json:"moreItemsAfter"`
		}
		path := w.P("/events?limit=200&resource=" + resource)
		if after != "" {
			path += "&after=" + after
		}
		w.Get(path).Expect(http.StatusOK).Decode(&page)
		newestFirst = append(newestFirst, page.Items...)
		if page.MoreItemsAfter == nil {
			break
		}
		after = *page.MoreItemsAfter
	}
	out := make([]recordedEvent, len(newestFirst))
	for i, e := range newestFirst {
		out[len(out)-1-i] = e
	}
	return out
}

type recordedEvent struct {
	Type string          `json:"type"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

func types(evs []recordedEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func mustEqualTime(t testing.TB, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Fatalf("%s = %v, want %s", what, got, want.Format(time.RFC3339))
	}
}
