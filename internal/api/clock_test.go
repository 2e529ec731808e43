package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestClockAdvancesByCalendarUnits: by takes days, months and ISO 8601
// steps; a month from January 31 is February 28, as renewals count it.
func TestClockAdvancesByCalendarUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.advanceTo(time.Date(2030, 1, 31, 9, 0, 0, 0, time.UTC))
		for _, c := range []struct{ by, want string }{
			{"1mo", "2030-02-28T09:00:00Z"},
			{"31d", "2030-03-31T09:00:00Z"},
			{"P1M", "2030-04-30T09:00:00Z"},
			{"P1DT12H", "2030-05-01T21:00:00Z"},
			{"36h", "2030-05-03T09:00:00Z"},
		} {
			var out struct{ Now time.Time }
			w.Post("/testing/projects/"+w.Project+"/clock/advance", map[string]any{"by": c.by}).Expect(http.StatusOK).Decode(&out)
			if got := out.Now.Format(time.RFC3339); got != c.want {
				t.Errorf("by %s: clock at %s, want %s", c.by, got, c.want)
			}
		}
		for _, bad := range []string{"1 month", "-1d", "P", "1M"} {
			body := w.Post("/testing/projects/"+w.Project+"/clock/advance", map[string]any{"by": bad}).
				ExpectError(http.StatusUnprocessableEntity, "invalid", "clockAdvanceInvalid")
			if msg := body["message"].(string); !strings.Contains(msg, `"P1M"`) {
				t.Errorf("by %q: message %q does not show the forms", bad, msg)
			}
		}
		if got := w.now().Format(time.RFC3339); got != "2030-05-03T09:00:00Z" {
			t.Errorf("a refused step moved the clock to %s", got)
		}
	})
}

// TestClockRefusesADateWithoutTime: to needs a full RFC 3339 time, and the
// message shows the form expected instead of a parser's layout.
func TestClockRefusesADateWithoutTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		before := w.now()
		body := w.Post("/testing/projects/"+w.Project+"/clock/advance", map[string]any{"to": "2031-02-01"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "clockAdvanceInvalid")
		msg := body["message"].(string)
		if !strings.Contains(msg, `"2031-02-01T00:00:00Z"`) || strings.Contains(msg, "2006") {
			t.Errorf("message %q does not show the expected form", msg)
		}
		if !w.now().Equal(before) {
			t.Errorf("a refused advance moved the clock")
		}
	})
}

// TestLiveProjectClockIsTheWallClock: GET .../clock on a live project
// answers the wall clock with type live; moving it stays refused.
func TestLiveProjectClockIsTheWallClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		key := e.NewProject("prod", projects.TypeLive)
		var c struct {
			Object, Type string
			Now          time.Time
		}
		before := time.Now().Add(-time.Second)
		e.Do(apitest.Request{Method: "GET", Path: "/testing/projects/prod/clock", Key: key}).Expect(http.StatusOK).Decode(&c)
		if c.Object != "testClock" || c.Type != "live" || c.Now.Before(before) || c.Now.After(time.Now().Add(time.Second)) {
			t.Errorf("live clock = %+v, want the wall clock with type live", c)
		}
		e.Get("/testing/projects/acme/clock").Expect(http.StatusOK).Decode(&c)
		if c.Type != "test" {
			t.Errorf("test clock type = %q", c.Type)
		}
		e.Do(apitest.Request{Method: "POST", Path: "/testing/projects/prod/clock/advance", Key: key, Body: map[string]any{"by": "1mo"}}).
			ExpectError(http.StatusForbidden, "permissionDenied", "liveProjectClock")
	})
}
