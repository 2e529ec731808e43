package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestSeed002Walkthrough follows the "Create a subscription" guide: a
// pending subscription with no SIM, activated by the provider after its
// delay, then with an active eSIM whose credentials can be read.
func TestSeed002Walkthrough(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		addr := w.address(user)
		plan := w.plan(map[string]any{"provider": "p9", "simTypes": []string{"eSIM"}, "requirements": map[string]any{"address": "present"}})

		s := w.subscribe(plan, user, "auto", map[string]any{"userAddress": addr})
		if s.Status != "pending" || s.SIM != nil || s.PhoneNumber == nil || s.CurrentPeriod != nil || s.ActivatedAt != nil {
			t.Fatalf("new subscription = %+v, want pending with a number, no SIM and no period", s)
		}
		// p9 activates after three hours: not yet after two.
		w.advance(2 * time.Hour)
		if got := w.sub(s.ID); got.Status != "pending" {
			t.Fatalf("status after 2h = %s, want pending", got.Status)
		}
		w.advance(time.Hour)
		got := w.sub(s.ID)
		activatedAt := worldStart.Add(3 * time.Hour)
		if got.Status != "active" || got.SIM == nil || got.SIM.Status != "active" || got.SIM.Type != "eSIM" || got.SIM.Provider != "p9" {
			t.Fatalf("after activation = %+v", got)
		}
		mustEqualTime(t, "activatedAt", got.ActivatedAt, activatedAt)
		if got.CurrentPeriod == nil || got.CurrentPeriod.Number != 1 || !got.CurrentPeriod.Start.Equal(activatedAt) ||
			!got.CurrentPeriod.End.Equal(activatedAt.AddDate(0, 1, 0)) {
			t.Fatalf("currentPeriod = %+v", got.CurrentPeriod)
		}
		mustEqualTime(t, "earliestEndAt", got.EarliestEndAt, activatedAt.AddDate(0, 1, 0))

		creds := w.Get(w.P("/sims/" + got.SIM.ID + "/credentials")).Expect(http.StatusOK).JSON()
		if creds["object"] != "simCredentials" || creds["sim"] != got.SIM.ID {
			t.Fatalf("credentials = %v", creds)
		}
		code, _ := creds["activationCode"].(string)
		if len(code) < 10 || code[:6] != "LPA:1$" {
			t.Fatalf("activationCode = %q", code)
		}
		evs := w.eventsOf(s.ID)
		if want := []string{"com.gigs.subscription.created", "com.gigs.subscription.activated"}; !slices.Equal(types(evs), want) {
			t.Fatalf("events = %v, want %v", types(evs), want)
		}
		// Events carry the simulated time at which they happened.
		if !evs[0].Time.Equal(worldStart) || !evs[1].Time.Equal(activatedAt) {
			t.Fatalf("event times = %s, %s", evs[0].Time, evs[1].Time)
		}
		for _, e := range evs {
			if strings.Contains(string(e.Data), code) {
				t.Fatalf("event %s carries the activation code", e.Type)
			}
		}
	})
}

// TestCancelBeforeCutoffEndsAtPeriodEnd: a cancel more than an hour before
// the period ends takes effect at the period end; the SIM goes inactive.
func TestCancelBeforeCutoffEndsAtPeriodEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		end := s.CurrentPeriod.End
		w.advanceTo(end.Add(-2 * time.Hour))
		var c sub
		w.action(s.ID, "cancel", map[string]any{"userReason": "tooExpensive"}).Expect(http.StatusOK).Decode(&c)
		mustEqualTime(t, "endedAt", c.EndedAt, end)
		mustEqualTime(t, "earliestEndAt", c.EarliestEndAt, end)
		if c.Status != "active" || c.CanceledAt == nil || c.CancellationDetails["cause"] != "cancellationRequested" || c.CancellationDetails["userReason"] != "tooExpensive" {
			t.Fatalf("canceled = %+v", c)
		}
		w.advanceTo(end)
		got := w.sub(s.ID)
		if got.Status != "ended" || got.CurrentPeriod != nil || got.EarliestEndAt != nil {
			t.Fatalf("after period end = %+v", got)
		}
		mustEqualTime(t, "endedAt", got.EndedAt, end)
		if sim := w.sim(s.SIM.ID); sim.Status != "inactive" {
			t.Fatalf("SIM status = %s, want inactive", sim.Status)
		}
		want := []string{"com.gigs.subscription.created", "com.gigs.subscription.activated", "com.gigs.subscription.canceled", "com.gigs.subscription.ended"}
		if got := types(w.eventsOf(s.ID)); !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
	})
}

// TestCancelInsideCutoffEndsAfterNextPeriod: within the last hour of a
// period the next one is committed; earliestEndAt moves at exactly the
// cutoff and a cancel then ends the subscription after the next period.
func TestCancelInsideCutoffEndsAfterNextPeriod(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		end := s.CurrentPeriod.End
		next := end.AddDate(0, 1, 0)
		w.advanceTo(end.Add(-time.Hour - time.Second))
		mustEqualTime(t, "earliestEndAt one second before the cutoff", w.sub(s.ID).EarliestEndAt, end)
		w.advanceTo(end.Add(-time.Hour))
		mustEqualTime(t, "earliestEndAt at the cutoff", w.sub(s.ID).EarliestEndAt, next)

		var c sub
		w.action(s.ID, "cancel", nil).Expect(http.StatusOK).Decode(&c)
		mustEqualTime(t, "endedAt", c.EndedAt, next)
		w.advanceTo(end)
		got := w.sub(s.ID)
		if got.Status != "active" || got.CurrentPeriod.Number != 2 {
			t.Fatalf("after the first period end = %+v, want active in period 2", got)
		}
		w.advanceTo(next)
		if got := w.sub(s.ID); got.Status != "ended" {
			t.Fatalf("after the next period end status = %s, want ended", got.Status)
		}
		want := []string{"com.gigs.subscription.created", "com.gigs.subscription.activated", "com.gigs.subscription.canceled",
			"com.gigs.subscription.renewed", "com.gigs.subscription.ended"}
		if got := types(w.eventsOf(s.ID)); !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
	})
}

// TestResumeRemovesCancellation: a canceled subscription resumed before
// the cutoff renews as if never canceled; after the cutoff, the committed
// end cannot be taken back.
func TestResumeRemovesCancellation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		end := s.CurrentPeriod.End
		w.action(s.ID, "resume", nil).ExpectError(http.StatusConflict, "conflict", "subscriptionNotCanceled")
		w.action(s.ID, "cancel", nil).Expect(http.StatusOK)
		w.action(s.ID, "cancel", nil).ExpectError(http.StatusConflict, "conflict", "subscriptionAlreadyCanceled")
		var r sub
		w.action(s.ID, "resume", nil).Expect(http.StatusOK).Decode(&r)
		if r.EndedAt != nil || r.CanceledAt != nil || r.CancellationDetails != nil {
			t.Fatalf("resumed = %+v", r)
		}
		w.advanceTo(end)
		if got := w.sub(s.ID); got.Status != "active" || got.CurrentPeriod.Number != 2 {
			t.Fatalf("after period end = %+v, want renewed", got)
		}

		// Inside the cutoff before the scheduled end, resume is refused.
		s2 := w.activeSub(plan, w.user(nil), "auto")
		w.action(s2.ID, "cancel", nil).Expect(http.StatusOK)
		w.advanceTo(s2.CurrentPeriod.End.Add(-30 * time.Minute))
		w.action(s2.ID, "resume", nil).ExpectError(http.StatusConflict, "conflict", "subscriptionCutoffPassed")
		w.advanceTo(s2.CurrentPeriod.End)
		if got := w.sub(s2.ID); got.Status != "ended" {
			t.Fatalf("status = %s, want ended", got.Status)
		}
		w.action(s2.ID, "resume", nil).ExpectError(http.StatusConflict, "conflict", "subscriptionAlreadyEnded")
	})
}

// TestEndIsImmediateAndIrreversible: end stops the subscription now, with
// a cause, and nothing brings it back.
func TestEndIsImmediateAndIrreversible(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		w.advance(24 * time.Hour)
		var e sub
		w.action(s.ID, "end", nil).Expect(http.StatusOK).Decode(&e)
		now := w.now()
		if e.Status != "ended" || e.CancellationDetails["cause"] != "cancellationRequested" {
			t.Fatalf("ended = %+v", e)
		}
		mustEqualTime(t, "endedAt", e.EndedAt, now)
		w.action(s.ID, "end", nil).ExpectError(http.StatusConflict, "conflict", "subscriptionAlreadyEnded")
		w.action(s.ID, "cancel", nil).ExpectError(http.StatusConflict, "conflict", "subscriptionAlreadyEnded")
		w.action(s.ID, "resume", nil).ExpectError(http.StatusConflict, "conflict", "subscriptionAlreadyEnded")
		// No renewal fires later.
		w.advanceTo(s.CurrentPeriod.End.Add(time.Hour))
		if got := w.sub(s.ID); got.Status != "ended" || !got.EndedAt.Equal(now) {
			t.Fatalf("later = %+v", got)
		}
	})
}

// TestRenewalsAcrossMonthEnds: a subscription activated on January 31
// renews on the last day of February and comes back to the 31st in March.
func TestRenewalsAcrossMonthEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.advanceTo(time.Date(2032, time.January, 31, 12, 0, 0, 0, time.UTC).Add(-2 * time.Minute)) // 2032 is a leap year
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		anchor := time.Date(2032, time.January, 31, 12, 0, 0, 0, time.UTC)
		mustEqualTime(t, "activatedAt", s.ActivatedAt, anchor)
		wantEnds := []time.Time{
			time.Date(2032, time.February, 29, 12, 0, 0, 0, time.UTC),
			time.Date(2032, time.March, 31, 12, 0, 0, 0, time.UTC),
			time.Date(2032, time.April, 30, 12, 0, 0, 0, time.UTC),
			time.Date(2032, time.May, 31, 12, 0, 0, 0, time.UTC),
		}
		start := anchor
		for i, end := range wantEnds {
			got := w.sub(s.ID)
			if got.CurrentPeriod.Number != i+1 || !got.CurrentPeriod.Start.Equal(start) || !got.CurrentPeriod.End.Equal(end) {
				t.Fatalf("period %d = %+v, want %s - %s", i+1, got.CurrentPeriod, start, end)
			}
			w.advanceTo(end)
			start = end
		}
		renewals := 0
		for _, e := range w.eventsOf(s.ID) {
			if e.Type == "com.gigs.subscription.renewed" {
				if !e.Time.Equal(wantEnds[renewals]) {
					t.Fatalf("renewal %d at %s, want %s", renewals+1, e.Time, wantEnds[renewals])
				}
				renewals++
			}
		}
		if renewals != len(wantEnds) {
			t.Fatalf("%d renewals, want %d", renewals, len(wantEnds))
		}
	})
}
