package api_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/ids"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// scrape reads one sample of /metrics: the value of the line that starts
// with series, or -1 when there is none.
func scrape(t *testing.T, e *apitest.Env, series string) float64 {
	t.Helper()
	resp, err := http.Get(e.Server.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMetricsShowWhatOperatorsAlertOn: subscriptions by status, overdue
// invoices and the backlogs with the age of their oldest item, for live
// projects only; webhook deliveries of any project.
func TestMetricsShowWhatOperatorsAlertOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := apitest.New(t, db)
		key := e.NewProject("prod", projects.TypeLive)
		live := &apitest.Env{T: t, DB: db, Server: e.Server, Project: "prod", Key: key}
		w := &world{Env: live, t: t}
		w.subscribe(w.plan(nil), w.user(nil), "auto", nil)

		ago := func(d time.Duration) int64 { return store.Micros(time.Now().Add(-d)) }
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO timeline (id, project_id, due_at, kind, subject) VALUES (?, 'prod', ?, 'k', 's1')`, []any{ids.New("tmr"), ago(90 * time.Second)}},
				{`INSERT INTO timeline (id, project_id, due_at, kind, subject) VALUES (?, 'prod', ?, 'k', 's2')`, []any{ids.New("tmr"), ago(time.Second)}},
				{`INSERT INTO timeline (id, project_id, due_at, kind, subject) VALUES (?, 'acme', ?, 'k', 's3')`, []any{ids.New("tmr"), ago(time.Hour)}},
				{`INSERT INTO operations (id, project_id, kind, subject, target, payload, status, due_at, created_at, updated_at) VALUES (?, 'prod', 'carrier.activate', 's', 'test', '{}', 'pending', ?, 0, 0)`, []any{ids.New("op"), ago(5 * time.Minute)}},
				{`INSERT INTO webhook_deliveries (endpoint_id, id, project_id, event_id, status, next_attempt_at, created_at, updated_at) VALUES ('whe_1', ?, 'acme', 'evt_1', 'pending', ?, 0, 0)`, []any{ids.New(ids.Delivery), ago(time.Minute)}},
				{`INSERT INTO webhook_deliveries (endpoint_id, id, project_id, event_id, status, created_at, updated_at) VALUES ('whe_1', ?, 'prod', 'evt_2', 'failed', 0, 0)`, []any{ids.New(ids.Delivery)}},
			} {
				if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var subs struct{ Items []struct{ Status string } }
		w.Get(w.P("/subscriptions")).Expect(http.StatusOK).Decode(&subs)
		if len(subs.Items) != 1 {
			t.Fatalf("subscriptions: %+v", subs)
		}
		for series, want := range map[string]float64{
			`cellgate_subscriptions{status="` + subs.Items[0].Status + `"}`: 1,
			"cellgate_invoices_overdue":                                     0,
			"cellgate_timers_due":                                           2,
			"cellgate_operations_due":                                       3, // the subscription's two carrier calls (no worker runs) and the old one
			"cellgate_webhook_deliveries_due":                               1,
			"cellgate_webhook_deliveries_failed":                            1,
			"cellgate_state_metrics_up":                                     1,
		} {
			if got := scrape(t, e, series); got != want {
				t.Errorf("%s = %v, want %v", series, got, want)
			}
		}
		for series, least := range map[string]float64{
			"cellgate_timer_lag_seconds":            89,
			"cellgate_operation_lag_seconds":        299,
			"cellgate_webhook_delivery_lag_seconds": 59,
		} {
			if got := scrape(t, e, series); got < least || got > least+60 {
				t.Errorf("%s = %v, want about %v", series, got, least+1)
			}
		}
	})
}
