package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestMinimumPeriodsDelayTheEarliestEnd: with validity.minimumPeriods 3,
// earliestEndAt is the end of period 3 until then, and a cancel in period 1
// ends after period 3.
func TestMinimumPeriodsDelayTheEarliestEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(map[string]any{"validity": map[string]any{"value": 1, "unit": "month", "type": "recurring", "minimumPeriods": 3}})
		s := w.activeSub(plan, w.user(nil), "auto")
		third := s.ActivatedAt.AddDate(0, 3, 0)
		mustEqualTime(t, "earliestEndAt in period 1", s.EarliestEndAt, third)
		var c sub
		w.action(s.ID, "cancel", nil).Expect(http.StatusOK).Decode(&c)
		mustEqualTime(t, "endedAt", c.EndedAt, third)
		w.advanceTo(third.Add(-time.Second))
		if got := w.sub(s.ID); got.Status != "active" || got.CurrentPeriod.Number != 3 {
			t.Fatalf("before the end of period 3 = %+v", got)
		}
		w.advanceTo(third)
		if got := w.sub(s.ID); got.Status != "ended" {
			t.Fatalf("status = %s, want ended after period 3", got.Status)
		}
	})
}

// TestOneTimePlanEndsAfterItsPeriod: a oneTime plan does not renew; it ends
// with cause subscriptionEnded.
func TestOneTimePlanEndsAfterItsPeriod(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(map[string]any{"validity": map[string]any{"value": 7, "unit": "day", "type": "oneTime"}})
		s := w.activeSub(plan, w.user(nil), "auto")
		end := s.ActivatedAt.Add(7 * day)
		if !s.CurrentPeriod.End.Equal(end) {
			t.Fatalf("period end = %s, want %s", s.CurrentPeriod.End, end)
		}
		w.advanceTo(end)
		got := w.sub(s.ID)
		if got.Status != "ended" || got.CancellationDetails["cause"] != "subscriptionEnded" {
			t.Fatalf("after the period = %+v", got)
		}
	})
}

// TestSubscriptionMetadataUpdate: PATCH changes metadata only and records
// subscription.updated with previousData.
func TestSubscriptionMetadataUpdate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", map[string]any{"metadata": map[string]any{"crm": "42"}})
		if s.Metadata["crm"] != "42" {
			t.Fatalf("metadata = %v", s.Metadata)
		}
		var u sub
		w.Patch(w.P("/subscriptions/"+s.ID), map[string]any{"metadata": map[string]any{"crm": nil, "tier": "gold"}}).Expect(http.StatusOK).Decode(&u)
		if len(u.Metadata) != 1 || u.Metadata["tier"] != "gold" {
			t.Fatalf("metadata = %v", u.Metadata)
		}
		w.Patch(w.P("/subscriptions/"+s.ID), map[string]any{"status": "ended"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "unknownField")
		w.Patch(w.P("/subscriptions/"+s.ID), map[string]any{"metadata": nil}).ExpectError(http.StatusUnprocessableEntity, "invalid", "")
		evs := w.eventsOf(s.ID)
		last := evs[len(evs)-1]
		if last.Type != "com.gigs.subscription.updated" {
			t.Fatalf("last event = %s", last.Type)
		}
		var full struct {
			PreviousData map[string]any `json:"previousData"`
		}
		var page struct {
			Items []map[string]any `json:"items"`
		}
		w.Get(w.P("/events?type=subscription.updated&resource=" + s.ID)).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 {
			t.Fatalf("%d updated events", len(page.Items))
		}
		w.Get(w.P("/events/" + page.Items[0]["id"].(string))).Expect(http.StatusOK).Decode(&full)
		if md, _ := full.PreviousData["metadata"].(map[string]any); md["crm"] != "42" || len(full.PreviousData) != 1 {
			t.Fatalf("previousData = %v", full.PreviousData)
		}
	})
}

// TestSubscriptionListFilters: user, status, plan and phoneNumber narrow
// the list; an empty or unknown filter value is an error.
func TestSubscriptionListFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		planA, planB := w.plan(nil), w.plan(map[string]any{"name": "B"})
		u1, u2 := w.user(nil), w.user(nil)
		a := w.activeSub(planA, u1, "auto")
		b := w.subscribe(planB, u2, "auto", nil)
		w.endNow(b.ID)
		ids := func(query string) []string {
			var page struct {
				Items []sub `json:"items"`
			}
			w.Get(w.P("/subscriptions?" + query)).Expect(http.StatusOK).Decode(&page)
			out := []string{}
			for _, s := range page.Items {
				out = append(out, s.ID)
			}
			return out
		}
		for query, want := range map[string][]string{
			"user=" + u1:    {a.ID},
			"status=ended":  {b.ID},
			"plan=" + planB: {b.ID},
			"phoneNumber=" + url.QueryEscape(*a.PhoneNumber): {a.ID},
			"user=" + u1 + "&status=ended":                   {},
			"":                                               {b.ID, a.ID},
		} {
			if got := ids(query); len(got) != len(want) || (len(want) > 0 && got[0] != want[0]) {
				t.Errorf("?%s = %v, want %v", query, got, want)
			}
		}
		w.Get(w.P("/subscriptions?user=")).ExpectError(http.StatusUnprocessableEntity, "invalid", "emptyParameter")
		w.Get(w.P("/subscriptions?status=paused")).ExpectError(http.StatusUnprocessableEntity, "invalid", "invalidEnumValue")
	})
}

// TestQRCodeIsAPublicPNG: the credentials' qrCodeUrl serves a PNG of the
// activation code without an API key; an unknown token is a 404.
func TestQRCodeIsAPublicPNG(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		var creds struct {
			QRCodeURL string `json:"qrCodeUrl"`
		}
		w.Get(w.P("/sims/" + s.SIM.ID + "/credentials")).Expect(http.StatusOK).Decode(&creds)
		u, err := url.Parse(creds.QRCodeURL)
		if err != nil {
			t.Fatal(err)
		}
		png := w.Do(apitest.Request{Method: http.MethodGet, Path: u.Path, NoAuth: true}).Expect(http.StatusOK)
		if png.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png.Body, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("QR code: %s, %d bytes", png.Header.Get("Content-Type"), len(png.Body))
		}
		w.Do(apitest.Request{Method: http.MethodGet, Path: "/qr/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png", NoAuth: true}).
			ExpectError(http.StatusNotFound, "notFound", "qrCodeNotFound")
	})
}
