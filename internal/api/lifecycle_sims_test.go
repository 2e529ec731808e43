package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

const day = 24 * time.Hour

// endNow ends a subscription at once and returns it.
func (w *world) endNow(id string) sub {
	w.t.Helper()
	var s sub
	w.action(id, "end", nil).Expect(http.StatusOK).Decode(&s)
	return s
}

// TestPreferLastUsedReusesTheLastSIM: the SIM of the user's last ended
// subscription is reused, with its number.
func TestPreferLastUsedReusesTheLastSIM(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan, user := w.plan(nil), w.user(nil)
		first := w.activeSub(plan, user, "auto")
		w.endNow(first.ID)
		w.advance(30 * day)
		second := w.activeSub(plan, user, "preferLastUsed")
		if second.SIM.ID != first.SIM.ID || *second.PhoneNumber != *first.PhoneNumber {
			t.Fatalf("second subscription uses SIM %s (%s), want %s (%s)", second.SIM.ID, *second.PhoneNumber, first.SIM.ID, *first.PhoneNumber)
		}
	})
}

// TestPreferLastUsedIneligibility covers each rule of seed 002 that makes
// the last SIM ineligible: eSIM-capable plans fall back to a new eSIM,
// pSIM-only plans fail clearly.
func TestPreferLastUsedIneligibility(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		monthly := w.plan(nil)
		psimOnly := w.plan(map[string]any{"simTypes": []string{"pSIM"}})
		otherProvider := w.plan(map[string]any{"provider": "p1"})

		// No ended subscription at all.
		w.Post(w.P("/subscriptions"), map[string]any{"plan": psimOnly, "user": user, "sim": "preferLastUsed"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "simNotEligible")

		first := w.activeSub(monthly, user, "auto") // an eSIM
		w.endNow(first.ID)

		// SIM type not compatible with the plan: pSIM-only plan fails.
		w.Post(w.P("/subscriptions"), map[string]any{"plan": psimOnly, "user": user, "sim": "preferLastUsed"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "simNotEligible")
		// Provider differs: an eSIM plan falls back to a new eSIM.
		if s := w.activeSub(otherProvider, user, "preferLastUsed"); s.SIM.ID == first.SIM.ID {
			t.Fatal("a SIM of another provider was reused")
		}

		// The last SIM is in an active subscription: fall back.
		user2 := w.user(nil)
		a := w.activeSub(monthly, user2, "auto")
		w.endNow(a.ID)
		b := w.activeSub(monthly, user2, a.SIM.ID) // reuse by id: now active again
		w.endNow(w.activeSub(monthly, user2, "auto").ID)
		// user2's most recent end is the third subscription; its SIM is free.
		c := w.activeSub(monthly, user2, "preferLastUsed")
		if c.SIM.ID == b.SIM.ID {
			t.Fatal("reused a SIM that is in an active subscription")
		}

		// Ended more than 90 days ago: the SIM has also retired; fall back.
		user3 := w.user(nil)
		old := w.activeSub(monthly, user3, "auto")
		w.endNow(old.ID)
		w.advance(91 * day)
		if s := w.activeSub(monthly, user3, "preferLastUsed"); s.SIM.ID == old.SIM.ID {
			t.Fatal("reused the SIM of a subscription that ended more than 90 days ago")
		}
	})
}

// TestSIMUsedByAnotherUserIsRefused: a SIM stays with the user who first
// used it.
func TestSIMUsedByAnotherUserIsRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": w.user(nil), "sim": s.SIM.ID}).
			ExpectError(http.StatusConflict, "conflict", "simAlreadyUsed")
		w.endNow(s.ID)
		w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": w.user(nil), "sim": s.SIM.ID}).
			ExpectError(http.StatusConflict, "conflict", "simAlreadyUsed")
	})
}

// TestSIMRetiresSixtyDaysAfterEnd: an inactive SIM retires 60 days after
// its subscription ended and its number goes back to the pool, where the
// next new SIM of the provider picks it up.
func TestSIMRetiresSixtyDaysAfterEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		ended := w.endNow(s.ID)
		w.advanceTo(ended.EndedAt.Add(60*day - time.Second))
		if sim := w.sim(s.SIM.ID); sim.Status != "inactive" {
			t.Fatalf("SIM is %s a second before 60 days, want inactive", sim.Status)
		}
		w.advanceTo(ended.EndedAt.Add(60 * day))
		if sim := w.sim(s.SIM.ID); sim.Status != "retired" {
			t.Fatalf("SIM is %s at 60 days, want retired", sim.Status)
		}
		w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": w.user(nil), "sim": s.SIM.ID}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "simRetired")
		w.Get(w.P("/sims/"+s.SIM.ID+"/credentials")).ExpectError(http.StatusNotFound, "notFound", "simCredentialsNotFound")
		// The freed number is handed out again.
		next := w.subscribe(plan, w.user(nil), "auto", nil)
		if *next.PhoneNumber != *s.PhoneNumber {
			t.Fatalf("new subscription got %s, want the returned number %s", *next.PhoneNumber, *s.PhoneNumber)
		}
	})
}

// TestNumberKeptOnReuseWithinSixtyDays: a new subscription on the same SIM
// within 60 days keeps the number, and the SIM does not retire under it.
func TestNumberKeptOnReuseWithinSixtyDays(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan, user := w.plan(nil), w.user(nil)
		s := w.activeSub(plan, user, "auto")
		w.endNow(s.ID)
		w.advance(59 * day)
		again := w.activeSub(plan, user, s.SIM.ID)
		if *again.PhoneNumber != *s.PhoneNumber {
			t.Fatalf("number %s, want %s", *again.PhoneNumber, *s.PhoneNumber)
		}
		w.advance(2 * day) // past the first end's 60 days
		if sim := w.sim(s.SIM.ID); sim.Status != "active" {
			t.Fatalf("SIM is %s, want active", sim.Status)
		}
	})
}

// TestPlanRequirementsAreEnforced: a missing address, name or birthday is a
// clear error, and nothing is created.
func TestPlanRequirementsAreEnforced(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		noName := w.user(map[string]any{"fullName": nil})
		other := w.user(nil)
		tests := []struct {
			name string
			plan map[string]any
			body map[string]any
			code string
		}{
			{"address required", map[string]any{"requirements": map[string]any{"address": "present"}}, map[string]any{"user": other}, "userAddressRequired"},
			{"address of another user", map[string]any{"requirements": map[string]any{"address": "verified"}},
				map[string]any{"user": other, "userAddress": w.address(noName)}, "userAddressNotFound"},
			{"full name required", map[string]any{"requirements": map[string]any{"user.fullName": "present"}}, map[string]any{"user": noName}, "userFullNameRequired"},
			{"birthday required", map[string]any{"requirements": map[string]any{"user.birthday": "verified"}}, map[string]any{"user": other}, "userBirthdayRequired"},
			{"pSIM plan with auto", map[string]any{"simTypes": []string{"pSIM"}}, map[string]any{"user": other}, "simRequired"},
			{"unknown plan", nil, map[string]any{"user": other, "plan": "pln_doesnotexist"}, "planNotFound"},
			{"unknown user", nil, map[string]any{"user": "usr_doesnotexist"}, "userNotFound"},
			{"archived plan", map[string]any{"status": "archived"}, map[string]any{"user": other}, "planNotAvailable"},
		}
		for _, tt := range tests {
			body := map[string]any{"plan": w.plan(tt.plan), "sim": "auto"}
			for k, v := range tt.body {
				body[k] = v
			}
			before := tableRows(t, db, "subscriptions", "sims", "events", "timeline")
			w.Post(w.P("/subscriptions"), body).ExpectError(http.StatusUnprocessableEntity, "invalid", tt.code)
			if after := tableRows(t, db, "subscriptions", "sims", "events", "timeline"); !slices.Equal(after, before) {
				t.Fatalf("%s: rows %v → %v: a refused request changed the database", tt.name, before, after)
			}
		}
	})
}

// TestTestSIMPlaceholders: test projects accept sim_test_psim and
// sim_test_esim, each making a new test SIM.
func TestTestSIMPlaceholders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		p := w.activeSub(plan, w.user(nil), "sim_test_psim")
		e := w.activeSub(plan, w.user(nil), "sim_test_esim")
		if p.SIM.Type != "pSIM" || e.SIM.Type != "eSIM" || p.SIM.ICCID[:10] != "8942424242" || len(p.SIM.ICCID) != 19 {
			t.Fatalf("placeholder SIMs = %+v, %+v", p.SIM, e.SIM)
		}
		w.Get(w.P("/sims/"+p.SIM.ID+"/credentials")).ExpectError(http.StatusNotFound, "notFound", "simCredentialsNotFound")
		w.Get(w.P("/sims/" + e.SIM.ID + "/credentials")).Expect(http.StatusOK)
	})
}

// TestPSIMInventory: operators add pSIMs with a checked ICCID, and a
// subscription can then use one by id.
func TestPSIMInventory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.Post(w.P("/sims"), map[string]any{"iccid": "123", "provider": "test"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "invalidIccid")
		w.Post(w.P("/sims"), map[string]any{"iccid": "8901260000000000001", "provider": "nope"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "providerInvalid")
		id := w.Post(w.P("/sims"), map[string]any{"iccid": "8901260000000000001F", "provider": "test"}).Expect(http.StatusCreated).ID()
		w.Post(w.P("/sims"), map[string]any{"iccid": "8901260000000000001f", "provider": "test"}).ExpectError(http.StatusConflict, "conflict", "simAlreadyExists")
		s := w.activeSub(w.plan(map[string]any{"simTypes": []string{"pSIM"}}), w.user(nil), id)
		if s.SIM.ID != id || s.SIM.Type != "pSIM" {
			t.Fatalf("subscription SIM = %+v", s.SIM)
		}
		var page struct {
			Items []simView `json:"items"`
		}
		w.Get(w.P("/sims?type=pSIM&status=active")).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != id {
			t.Fatalf("active pSIMs = %+v", page.Items)
		}
	})
}

// tableRows counts the rows of tables, to show that a refused request
// changed nothing.
func tableRows(t *testing.T, db *store.DB, tables ...string) []int {
	t.Helper()
	out := make([]int, len(tables))
	for i, table := range tables {
		if err := db.QueryRow(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&out[i]); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
	}
	return out
}

// TestDeletingAUserEndsTheirSubscriptions: a deleted user keeps no service;
// the end carries cause userDeleted.
func TestDeletingAUserEndsTheirSubscriptions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		s := w.activeSub(w.plan(nil), user, "auto")
		w.Delete(w.P("/users/" + user)).Expect(http.StatusOK)
		got := w.sub(s.ID)
		if got.Status != "ended" || got.CancellationDetails["cause"] != "userDeleted" || got.User["status"] != "deleted" {
			t.Fatalf("after deleting the user = %+v", got)
		}
		if sim := w.sim(s.SIM.ID); sim.Status != "inactive" {
			t.Fatalf("SIM is %s, want inactive", sim.Status)
		}
	})
}
