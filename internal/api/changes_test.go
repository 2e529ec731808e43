package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// change is a subscription change as the API returns it.
type change struct {
	ID              string         `json:"id"`
	Status          string         `json:"status"`
	Subscription    string         `json:"subscription"`
	AppliedAt       *time.Time     `json:"appliedAt"`
	ScheduledAt     *time.Time     `json:"scheduledAt"`
	FailureCode     *string        `json:"failureCode"`
	Plan            map[string]any `json:"plan"`
	SIM             *simView       `json:"sim"`
	RequestedChange struct {
		Plan *string `json:"plan"`
		SIM  *string `json:"sim"`
		When string  `json:"when"`
	} `json:"requestedChange"`
}

func (w *world) requestChange(body map[string]any) *apitest.Response {
	return w.Post(w.P("/subscriptionChanges"), body)
}

func (w *world) changeOK(body map[string]any) change {
	w.t.Helper()
	var c change
	w.requestChange(body).Expect(http.StatusCreated).Decode(&c)
	return c
}

func (w *world) change(id string) change {
	w.t.Helper()
	var c change
	w.Get(w.P("/subscriptionChanges/" + id)).Expect(http.StatusOK).Decode(&c)
	return c
}

// planWith creates a monthly plan on the test provider with the given
// data allowance and price; fields override.
func (w *world) planWith(data int64, price int64, fields map[string]any) string {
	w.t.Helper()
	body := map[string]any{"price": map[string]any{"amount": price, "currency": "USD"},
		"allowances": map[string]any{"dataBytes": data, "voiceSeconds": nil, "smsMessages": nil}}
	for k, v := range fields {
		body[k] = v
	}
	return w.plan(body)
}

func planID(s sub) string { id, _ := s.Plan["id"].(string); return id }

// TestPlanUpgradeNowAppliesOnceTheCarrierAnswers: a change now to a
// plan with more data is pending until the carrier has the new
// allowances, then applied; the subscription keeps its period.
func TestPlanUpgradeNowAppliesOnceTheCarrierAnswers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		small, big := w.planWith(1_000_000_000, 1000, nil), w.planWith(5_000_000_000, 2000, nil)
		s := w.activeSub(small, w.user(nil), "auto")
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": big, "when": "now"})
		if c.Status != "pending" || c.RequestedChange.When != "now" || *c.RequestedChange.Plan != big || c.Plan["id"] != big || c.SIM != nil {
			t.Fatalf("new change = %+v", c)
		}
		mustEqualTime(t, "scheduledAt", c.ScheduledAt, w.now())
		// The request performed the carrier call before it answered.
		got := w.change(c.ID)
		if got.Status != "applied" {
			t.Fatalf("after the carrier answered: %+v", got)
		}
		mustEqualTime(t, "appliedAt", got.AppliedAt, w.now())
		after := w.sub(s.ID)
		if planID(after) != big || *after.CurrentPeriod != *s.CurrentPeriod {
			t.Fatalf("subscription after the change = %+v", after)
		}
		if evs := types(w.eventsOf(c.ID)); !slices.Equal(evs, []string{"com.gigs.subscriptionChange.created", "com.gigs.subscriptionChange.applied"}) {
			t.Fatalf("change events = %v", evs)
		}
	})
}

// TestDowngradeRefusedNowAcceptedAtRenewal: less data cannot apply now
// (subscriptionChangeAllowanceDecrease); at renewal the subscription
// renews onto the smaller plan.
func TestDowngradeRefusedNowAcceptedAtRenewal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		big, small := w.planWith(5_000_000_000, 2000, nil), w.planWith(1_000_000_000, 1000, nil)
		s := w.activeSub(big, w.user(nil), "auto")
		before := takeSnapshot(t, db)
		w.requestChange(map[string]any{"subscription": s.ID, "plan": small, "when": "now"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "subscriptionChangeAllowanceDecrease")
		if d := before.diff(takeSnapshot(t, db)); len(d) > 0 {
			t.Fatalf("a refused change changed %v", d)
		}
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": small, "when": "renewal"})
		mustEqualTime(t, "scheduledAt", c.ScheduledAt, s.CurrentPeriod.End)
		w.advanceTo(s.CurrentPeriod.End.Add(-2 * time.Hour))
		if got := w.change(c.ID); got.Status != "pending" || planID(w.sub(s.ID)) != big {
			t.Fatalf("before the renewal: change %s", got.Status)
		}
		w.advanceTo(s.CurrentPeriod.End.Add(time.Minute))
		got, renewed := w.change(c.ID), w.sub(s.ID)
		if got.Status != "applied" || planID(renewed) != small || renewed.CurrentPeriod.Number != 2 {
			t.Fatalf("after the renewal: change %+v, subscription %+v", got, renewed)
		}
		mustEqualTime(t, "appliedAt", got.AppliedAt, s.CurrentPeriod.End)
		if !renewed.CurrentPeriod.Start.Equal(s.CurrentPeriod.End) {
			t.Fatalf("period 2 = %+v", renewed.CurrentPeriod)
		}
	})
}

// TestDifferentValidityForcesRenewal: a plan whose validity unit or value
// differs can only be changed to at renewal, and its periods start there.
func TestDifferentValidityForcesRenewal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		monthly := w.planWith(1_000_000_000, 1000, nil)
		weekly := w.planWith(2_000_000_000, 500, map[string]any{"validity": map[string]any{"value": 7, "unit": "day", "type": "recurring"}})
		s := w.activeSub(monthly, w.user(nil), "auto")
		w.requestChange(map[string]any{"subscription": s.ID, "plan": weekly, "when": "now"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "subscriptionChangeRenewalRequired")
		w.changeOK(map[string]any{"subscription": s.ID, "plan": weekly, "when": "renewal"})
		w.advanceTo(s.CurrentPeriod.End.Add(time.Minute))
		got := w.sub(s.ID)
		if planID(got) != weekly || !got.CurrentPeriod.End.Equal(s.CurrentPeriod.End.AddDate(0, 0, 7)) {
			t.Fatalf("after the renewal onto the weekly plan: %+v", got.CurrentPeriod)
		}
	})
}

// TestPlanChangeNowOnlyWhereTheProviderAllowsIt: p4 changes plans only at
// renewal.
func TestPlanChangeNowOnlyWhereTheProviderAllowsIt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		uk := map[string]any{"provider": "p4"}
		a, b := w.planWith(1_000_000_000, 1000, uk), w.planWith(2_000_000_000, 1500, uk)
		s := w.activeSub(a, w.user(nil), "auto")
		w.requestChange(map[string]any{"subscription": s.ID, "plan": b, "when": "now"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "subscriptionChangeRenewalRequired")
		w.changeOK(map[string]any{"subscription": s.ID, "plan": b, "when": "renewal"})
	})
}

// TestPlanChangeTooCloseToRenewal: inside the hour before the period end
// no plan change is taken, now or at renewal.
func TestPlanChangeTooCloseToRenewal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b := w.planWith(1_000_000_000, 1000, nil), w.planWith(2_000_000_000, 1500, nil)
		s := w.activeSub(a, w.user(nil), "auto")
		w.advanceTo(s.CurrentPeriod.End.Add(-time.Hour))
		for _, when := range []string{"now", "renewal"} {
			w.requestChange(map[string]any{"subscription": s.ID, "plan": b, "when": when}).
				ExpectError(http.StatusUnprocessableEntity, "invalid", "subscriptionPlanChangeTooCloseToRenewal")
		}
		w.advanceTo(s.CurrentPeriod.End.Add(time.Minute))
		w.changeOK(map[string]any{"subscription": s.ID, "plan": b, "when": "now"})
	})
}

// TestSIMSwapKeepsTheNumber: sim "auto" moves the line to a new eSIM; the
// number goes with it and the old SIM becomes inactive.
func TestSIMSwapKeepsTheNumber(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		old := s.SIM.ID
		c := w.changeOK(map[string]any{"subscription": s.ID, "sim": "auto", "when": "now"})
		if c.SIM == nil || c.SIM.ID == old || c.SIM.Type != "eSIM" || *c.RequestedChange.SIM != "auto" {
			t.Fatalf("swap = %+v", c)
		}
		if got := w.change(c.ID); got.Status != "applied" {
			t.Fatalf("swap status %s", got.Status)
		}
		after := w.sub(s.ID)
		if after.SIM == nil || after.SIM.ID != c.SIM.ID || after.SIM.Status != "active" || *after.PhoneNumber != *s.PhoneNumber {
			t.Fatalf("after the swap: %+v (number before %s)", after, *s.PhoneNumber)
		}
		if st := w.sim(old).Status; st != "inactive" {
			t.Fatalf("old SIM is %s", st)
		}
		var list struct{ Items []struct{ ID string } }
		w.Get(w.P("/subscriptions?phoneNumber=" + url.QueryEscape(*s.PhoneNumber))).Expect(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].ID != s.ID {
			t.Fatalf("subscriptions with the number: %+v", list.Items)
		}
	})
}

// TestSIMChangeOnlyNow: a SIM swap at renewal is refused.
func TestSIMChangeOnlyNow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		w.requestChange(map[string]any{"subscription": s.ID, "sim": "auto", "when": "renewal"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "subscriptionChangeSimRequiresNow")
	})
}

// TestDeletedChangeLeavesTheRenewalUntouched: a renewal change deleted
// before the cutoff is gone; the subscription renews on its plan.
func TestDeletedChangeLeavesTheRenewalUntouched(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b := w.planWith(5_000_000_000, 1000, nil), w.planWith(1_000_000_000, 500, nil)
		s := w.activeSub(a, w.user(nil), "auto")
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": b, "when": "renewal"})
		var deleted change
		w.Delete(w.P("/subscriptionChanges/" + c.ID)).Expect(http.StatusOK).Decode(&deleted)
		if deleted.Status != "deleted" {
			t.Fatalf("deleted = %+v", deleted)
		}
		w.Delete(w.P("/subscriptionChanges/"+c.ID)).ExpectError(http.StatusConflict, "conflict", "subscriptionChangeNotDeletable")
		w.advanceTo(s.CurrentPeriod.End.Add(time.Minute))
		got := w.sub(s.ID)
		if planID(got) != a || got.CurrentPeriod.Number != 2 {
			t.Fatalf("after the renewal: %+v", got)
		}
		if evs := types(w.eventsOf(c.ID)); !slices.Equal(evs, []string{"com.gigs.subscriptionChange.created", "com.gigs.subscriptionChange.deleted"}) {
			t.Fatalf("change events = %v", evs)
		}
		// A change sent to the carrier cannot be deleted.
		now := w.changeOK(map[string]any{"subscription": s.ID, "sim": "auto", "when": "now"})
		w.Delete(w.P("/subscriptionChanges/"+now.ID)).ExpectError(http.StatusConflict, "conflict", "subscriptionChangeNotDeletable")
	})
}

// TestCarrierFailureLeavesTheSubscriptionAsItWas: the carrier refuses the
// plan change; the change fails with the carrier's code and nothing else
// moves.
func TestCarrierFailureLeavesTheSubscriptionAsItWas(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b := w.planWith(1_000_000_000, 1000, nil), w.planWith(2_000_000_000, 1500, nil)
		s := w.activeSub(a, w.user(nil), "auto")
		w.Post("/testing/providers/test/faults", map[string]any{"operation": "lines.changePlan", "count": 1, "code": "lineNotActive"}).
			Expect(http.StatusOK)
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": b, "when": "now"})
		got := w.change(c.ID)
		if got.Status != "failed" || got.FailureCode == nil || *got.FailureCode != "lineNotActive" || got.AppliedAt != nil {
			t.Fatalf("refused change = %+v", got)
		}
		after := w.sub(s.ID)
		if planID(after) != a || after.Status != "active" {
			t.Fatalf("subscription after a refused change = %+v", after)
		}
		// The subscription can take another change.
		w.changeOK(map[string]any{"subscription": s.ID, "plan": b, "when": "now"})
		if st := w.change(c.ID).Status; st != "failed" {
			t.Fatalf("first change now %s", st)
		}
	})
}

// lostAnswer is a carrier whose first plan change is made and then its
// answer lost, as when cellgate dies between the call and recording the
// outcome.
type lostAnswer struct {
	network.Provider
	mu    *sync.Mutex
	calls map[string]int
}

func (l lostAnswer) ChangePlan(ctx context.Context, req network.PlanChangeRequest) error {
	err := l.Provider.ChangePlan(ctx, req)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[req.Key]++
	if l.calls[req.Key] == 1 {
		return network.Errorf(network.CodeUnavailable, "the answer was lost")
	}
	return err
}

// TestCrashBetweenCarrierCallAndOutcomeAppliesTheChangeOnce: the carrier
// made the change but its answer never got recorded; the retry sends the
// same idempotency key and the change is applied exactly once.
func TestCrashBetweenCarrierCallAndOutcomeAppliesTheChangeOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		mu, calls := &sync.Mutex{}, map[string]int{}
		carriers := network.Default().Wrap(func(_ network.ProviderInfo, p network.Provider) network.Provider {
			return lostAnswer{Provider: p, mu: mu, calls: calls}
		})
		w := newWorldOn(t, db, carriers)
		a, b := w.planWith(1_000_000_000, 1000, nil), w.planWith(2_000_000_000, 1500, nil)
		s := w.activeSub(a, w.user(nil), "auto")
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": b, "when": "now"})
		if st := w.change(c.ID).Status; st != "pending" {
			t.Fatalf("with the answer lost the change is %s, want pending", st)
		}
		w.advance(time.Minute) // the retry, 30 s later
		if got := w.change(c.ID); got.Status != "applied" {
			t.Fatalf("after the retry: %+v", got)
		}
		mu.Lock()
		keys := len(calls)
		var total int
		for _, n := range calls {
			total += n
		}
		mu.Unlock()
		if keys != 1 || total != 2 {
			t.Fatalf("carrier calls %v: want one key called twice", calls)
		}
		applied := 0
		for _, e := range w.eventsOf(c.ID) {
			if e.Type == "com.gigs.subscriptionChange.applied" {
				applied++
			}
		}
		if applied != 1 || planID(w.sub(s.ID)) != b {
			t.Fatalf("applied %d times", applied)
		}
	})
}

// TestOnePendingChangePerSubscription: of two concurrent changes exactly
// one wins; the other is 409 and leaves no trace.
func TestOnePendingChangePerSubscription(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b, c := w.planWith(5_000_000_000, 1000, nil), w.planWith(1_000_000_000, 500, nil), w.planWith(2_000_000_000, 700, nil)
		s := w.activeSub(a, w.user(nil), "auto")
		for round := 0; round < 5; round++ {
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			for i, plan := range []string{b, c} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = w.requestChange(map[string]any{"subscription": s.ID, "plan": plan, "when": "renewal"}).Status
				}()
			}
			wg.Wait()
			slices.Sort(statuses)
			if statuses[0] != http.StatusCreated || statuses[1] != http.StatusConflict {
				t.Fatalf("round %d: statuses %v, want one 201 and one 409", round, statuses)
			}
			var list struct{ Items []change }
			w.Get(w.P("/subscriptionChanges?status=pending&subscription=" + s.ID)).Expect(http.StatusOK).Decode(&list)
			if len(list.Items) != 1 {
				t.Fatalf("round %d: %d pending changes", round, len(list.Items))
			}
			w.Delete(w.P("/subscriptionChanges/" + list.Items[0].ID)).Expect(http.StatusOK)
		}
		w.requestChange(map[string]any{"subscription": s.ID, "plan": b, "when": "renewal"}).Expect(http.StatusCreated)
		w.requestChange(map[string]any{"subscription": s.ID, "plan": c, "when": "renewal"}).
			ExpectError(http.StatusConflict, "conflict", "subscriptionChangeAlreadyPending")
	})
}

// TestChangeBadInputChangesNothing: every refused change has a clear code
// and leaves every table as it was.
func TestChangeBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b := w.planWith(1_000_000_000, 1000, nil), w.planWith(2_000_000_000, 1500, nil)
		archived := w.planWith(2_000_000_000, 1500, map[string]any{"status": "archived"})
		oneTime := w.planWith(2_000_000_000, 1500, map[string]any{"validity": map[string]any{"value": 1, "unit": "month", "type": "oneTime"}})
		otherProvider := w.planWith(2_000_000_000, 1500, map[string]any{"provider": "p1"})
		pSIMOnly := w.planWith(2_000_000_000, 1500, map[string]any{"simTypes": []string{"pSIM"}})
		user := w.user(nil)
		s := w.activeSub(a, user, "auto")
		otherUsersSIM := w.activeSub(a, w.user(nil), "auto").SIM.ID
		pending := w.subscribe(a, w.user(nil), "auto", nil)
		p1SIM := w.Post(w.P("/sims"), map[string]any{"iccid": "89012600000000000041", "provider": "p1"}).Expect(http.StatusCreated).ID()
		otherKey := w.NewProject("other", "test")
		var foreign struct{ ID string }
		w.Do(apitest.Request{Method: http.MethodPost, Path: "/projects/other/users", Key: otherKey, Body: map[string]any{"email": "x@example.com"}}).
			Expect(http.StatusCreated).Decode(&foreign)

		before := takeSnapshot(t, db)
		for _, c := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"no when", map[string]any{"subscription": s.ID, "plan": b}, 422, "fieldRequired"},
			{"bad when", map[string]any{"subscription": s.ID, "plan": b, "when": "later"}, 422, "invalidEnumValue"},
			{"neither plan nor sim", map[string]any{"subscription": s.ID, "when": "now"}, 422, "fieldRequired"},
			{"unknown subscription", map[string]any{"subscription": "sub_0000000000000000000000", "plan": b, "when": "now"}, 422, "subscriptionNotFound"},
			{"another project's id", map[string]any{"subscription": foreign.ID, "plan": b, "when": "now"}, 422, "subscriptionNotFound"},
			{"unknown plan", map[string]any{"subscription": s.ID, "plan": "pln_0000000000000000000000", "when": "now"}, 422, "planNotFound"},
			{"archived plan", map[string]any{"subscription": s.ID, "plan": archived, "when": "renewal"}, 422, "planNotAvailable"},
			{"same plan", map[string]any{"subscription": s.ID, "plan": a, "when": "renewal"}, 422, "subscriptionChangeSamePlan"},
			{"validity type", map[string]any{"subscription": s.ID, "plan": oneTime, "when": "renewal"}, 422, "subscriptionChangeValidityTypeMismatch"},
			{"provider", map[string]any{"subscription": s.ID, "plan": otherProvider, "when": "renewal"}, 422, "subscriptionChangeProviderMismatch"},
			{"provider transition", map[string]any{"subscription": s.ID, "plan": otherProvider, "sim": p1SIM, "when": "now"}, 422, "subscriptionChangeProviderTransitionNotSupported"},
			{"plan and sim", map[string]any{"subscription": s.ID, "plan": b, "sim": "auto", "when": "now"}, 422, "subscriptionChangeInvalid"},
			{"SIM type", map[string]any{"subscription": s.ID, "plan": pSIMOnly, "when": "renewal"}, 422, "simTypeNotSupported"},
			{"SIM of another provider", map[string]any{"subscription": s.ID, "sim": p1SIM, "when": "now"}, 422, "subscriptionChangeProviderMismatch"},
			{"SIM of another user", map[string]any{"subscription": s.ID, "sim": otherUsersSIM, "when": "now"}, 409, "simAlreadyUsed"},
			{"same SIM", map[string]any{"subscription": s.ID, "sim": s.SIM.ID, "when": "now"}, 422, "subscriptionChangeSameSim"},
			{"pending subscription", map[string]any{"subscription": pending.ID, "plan": b, "when": "renewal"}, 409, "subscriptionNotActive"},
			{"unknown field", map[string]any{"subscription": s.ID, "plan": b, "when": "now", "bogus": 1}, 422, "unknownField"},
		} {
			typ := "invalid"
			if c.status == 409 {
				typ = "conflict"
			}
			r := w.requestChange(c.body)
			if r.Status != c.status {
				t.Fatalf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			}
			r.ExpectError(c.status, typ, c.code)
		}
		if d := before.diff(takeSnapshot(t, db)); len(d) > 0 {
			t.Fatalf("refused changes changed %v", d)
		}
		w.Get(w.P("/subscriptionChanges?status=bogus")).ExpectError(http.StatusUnprocessableEntity, "invalid", "invalidEnumValue")
		w.Get(w.P("/subscriptionChanges/sch_0000000000000000000000")).ExpectError(http.StatusNotFound, "notFound", "subscriptionChangeNotFound")
	})
}

// TestChangesReachTheCarrierOutsideTransactions: a plan change and a SIM
// swap reach the carrier only from outside every database transaction.
func TestChangesReachTheCarrierOutsideTransactions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, carrierCalls := guardedWorld(t, db)
		a, b := w.planWith(1_000_000_000, 1000, nil), w.planWith(2_000_000_000, 1500, nil)
		s := w.activeSub(a, w.user(nil), "auto")
		if got := w.change(w.changeOK(map[string]any{"subscription": s.ID, "plan": b, "when": "now"}).ID); got.Status != "applied" {
			t.Fatalf("plan change %+v", got)
		}
		if got := w.change(w.changeOK(map[string]any{"subscription": s.ID, "sim": "auto", "when": "now"}).ID); got.Status != "applied" {
			t.Fatalf("SIM swap %+v", got)
		}
		calls := carrierCalls()
		want := []string{"provisionESIM", "activate", "changePlan", "provisionESIM", "swapSIM"}
		if !slices.Equal(calls, want) {
			t.Fatalf("carrier calls %v, want %v", calls, want)
		}
	})
}
