package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/timeline"
)

// TestAdvanceReportsFailingTimersAndGoesOn: a timer whose work always
// fails does not fail a test project's clock advance: the clock reaches
// the target, the answer lists the timer (dead after the last attempt),
// com.cellgate.timer.failed is in the event log, /metrics counts it, and
// later advances proceed.
func TestAdvanceReportsFailingTimersAndGoesOn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		plat := platform.New(db, log, nil)
		// Registered like a production kind; its work always fails.
		plat.Timeline.Handlers["test.broken"] = func(context.Context, *store.Tx, timeline.Timer, time.Time) error {
			return errors.New("carrier unreachable")
		}
		reg := prometheus.NewRegistry()
		plat.Timeline.Register(reg)
		ts := httptest.NewServer(api.New(api.Config{DB: db, Logger: log, Registry: reg, Version: "test", Platform: plat}).Handler())
		t.Cleanup(ts.Close)
		e := &apitest.Env{T: t, DB: db, Server: ts}
		e.Project, e.Key = "acme", e.NewProject("acme", projects.TypeTest)
		w := &world{Env: e, t: t}
		w.advanceTo(worldStart)
		if err := db.InTx(context.Background(), func(tx *store.Tx) error {
			return timeline.Schedule(context.Background(), tx, "acme", "test.broken", "sub_x", worldStart.Add(time.Hour))
		}); err != nil {
			t.Fatal(err)
		}

		var out struct {
			Object        string          `json:"object"`
			Now           time.Time       `json:"now"`
			TimerFailures []timeline.View `json:"timerFailures"`
		}
		target := worldStart.Add(24 * time.Hour)
		w.Post("/testing/projects/acme/clock/advance", map[string]any{"to": target.Format(time.RFC3339)}).Expect(http.StatusOK).Decode(&out)
		if !out.Now.Equal(target) || !w.now().Equal(target) {
			t.Fatalf("clock after the advance: answered %s, reads %s, want %s", out.Now, w.now(), target)
		}
		if len(out.TimerFailures) != 1 {
			t.Fatalf("timerFailures = %+v, want the broken timer", out.TimerFailures)
		}
		f := out.TimerFailures[0]
		if f.Status != timeline.StatusDead || f.Kind != "test.broken" || f.Subject != "sub_x" || f.Attempts != timeline.MaxAttempts ||
			f.LastError == nil || !regexp.MustCompile("carrier unreachable").MatchString(*f.LastError) || f.DueAt != nil {
			t.Fatalf("reported failure: %+v", f)
		}
		var evs struct {
			Items []struct {
				Type string        `json:"type"`
				Data timeline.View `json:"data"`
			} `json:"items"`
		}
		w.Get(w.P("/events?type=" + timeline.EventFailed)).Expect(http.StatusOK).Decode(&evs)
		if len(evs.Items) != 1 || evs.Items[0].Data.ID != f.ID || evs.Items[0].Data.Status != timeline.StatusDead {
			t.Fatalf("%s events: %+v", timeline.EventFailed, evs.Items)
		}
		// Integrators can subscribe to it.
		w.Post(w.P("/webhookEndpoints"), map[string]any{"url": "https://example.com/hooks", "enabledEvents": []string{timeline.EventFailed}}).Expect(http.StatusCreated)

		metrics := string(w.Do(apitest.Request{Method: http.MethodGet, Path: "/metrics", NoAuth: true}).Expect(http.StatusOK).Body)
		for name, want := range map[string]int{`cellgate_timers_dead`: 1, `cellgate_timer_failures_total{kind="test.broken"}`: timeline.MaxAttempts} {
			m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\d+)$`).FindStringSubmatch(metrics)
			if m == nil || m[1] != strconv.Itoa(want) {
				t.Errorf("/metrics %s = %v, want %d", name, m, want)
			}
		}

		// The dead timer holds nothing back.
		w.Post("/testing/projects/acme/clock/advance", map[string]any{"by": "1h"}).Expect(http.StatusOK).Decode(&out)
		if len(out.TimerFailures) != 0 || !out.Now.Equal(target.Add(time.Hour)) {
			t.Fatalf("advance past a dead timer: %+v", out)
		}
	})
}
