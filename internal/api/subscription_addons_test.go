package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// bought is a subscription add-on as the API returns it.
type bought struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	Subscription  string     `json:"subscription"`
	User          string     `json:"user"`
	ActivatedAt   *time.Time `json:"activatedAt"`
	CanceledAt    *time.Time `json:"canceledAt"`
	EndedAt       *time.Time `json:"endedAt"`
	CurrentPeriod *period    `json:"currentPeriod"`
	Addon         addon      `json:"addon"`
}

func (w *world) buyAddon(sub, addonID string) bought {
	w.t.Helper()
	var b bought
	w.Post(w.P("/subscriptionAddons"), map[string]any{"subscription": sub, "addon": addonID}).Expect(http.StatusCreated).Decode(&b)
	return b
}

func (w *world) bought(id string) bought {
	w.t.Helper()
	var b bought
	w.Get(w.P("/subscriptionAddons/" + id)).Expect(http.StatusOK).Decode(&b)
	return b
}

// TestTopUpActivatesAtCreationAndItsValidityEndsIt: a top-up with the
// creation trigger is active at once for its own seven days, apart from
// the subscription's period, and ends when they run out.
func TestTopUpActivatesAtCreationAndItsValidityEndsIt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		a := w.addonOK(plan, nil)
		w.advance(24 * time.Hour)
		now := w.now()
		b := w.buyAddon(s.ID, a.ID)
		if b.Status != "active" || b.Subscription != s.ID || b.User != blUser(s) || b.Addon.ID != a.ID || b.CurrentPeriod == nil {
			t.Fatalf("bought = %+v", b)
		}
		mustEqualTime(t, "activatedAt", b.ActivatedAt, now)
		if !b.CurrentPeriod.Start.Equal(now) || !b.CurrentPeriod.End.Equal(now.AddDate(0, 0, 7)) {
			t.Fatalf("validity = %+v", b.CurrentPeriod)
		}
		w.advanceTo(now.AddDate(0, 0, 7).Add(-time.Minute))
		if st := w.bought(b.ID).Status; st != "active" {
			t.Fatalf("before its validity ran out: %s", st)
		}
		w.advanceTo(now.AddDate(0, 0, 7).Add(time.Minute))
		ended := w.bought(b.ID)
		if ended.Status != "ended" || ended.CurrentPeriod != nil || ended.CanceledAt != nil {
			t.Fatalf("after its validity = %+v", ended)
		}
		mustEqualTime(t, "endedAt", ended.EndedAt, now.AddDate(0, 0, 7))
		want := []string{"com.gigs.subscriptionAddon.created", "com.gigs.subscriptionAddon.activated", "com.gigs.subscriptionAddon.ended"}
		if evs := types(w.eventsOf(b.ID)); !slices.Equal(evs, want) {
			t.Fatalf("events = %v, want %v", evs, want)
		}
		if got := w.sub(s.ID); got.Status != "active" || got.CurrentPeriod.Number != 1 {
			t.Fatalf("subscription = %+v", got)
		}
	})
}

// TestAddonWithoutValidityLastsAPeriodOfThePlan: validity null inherits
// the plan's, counted from the activation.
func TestAddonWithoutValidityLastsAPeriodOfThePlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		b := w.buyAddon(s.ID, w.addonOK(plan, map[string]any{"validity": nil}).ID)
		if b.CurrentPeriod == nil || !b.CurrentPeriod.End.Equal(b.CurrentPeriod.Start.AddDate(0, 1, 0)) {
			t.Fatalf("validity = %+v", b.CurrentPeriod)
		}
	})
}

// TestNetworkLatchAddonActivatesAfterTheLatch: pending at purchase,
// active once the data session is taken to have ended (5 minutes).
func TestNetworkLatchAddonActivatesAfterTheLatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		b := w.buyAddon(s.ID, w.addonOK(plan, map[string]any{"activationTrigger": "networkLatch"}).ID)
		if b.Status != "pending" || b.ActivatedAt != nil {
			t.Fatalf("bought = %+v", b)
		}
		at := w.now().Add(5 * time.Minute)
		w.advance(10 * time.Minute)
		got := w.bought(b.ID)
		if got.Status != "active" {
			t.Fatalf("after the latch = %+v", got)
		}
		mustEqualTime(t, "activatedAt", got.ActivatedAt, at)
	})
}

// TestBilledAddonStaysInitiatedUntilItsInvoiceIsPaid: with Billing on the
// purchase issues an invoice (reason other, the add-on's line, taxes and
// fees); the add-on activates when it is paid.
func TestBilledAddonStaysInitiatedUntilItsInvoiceIsPaid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"recoveryFeePercentage": 3})
		s := w.blSub(nil)
		a := w.addonOK(planID(s), nil)
		b := w.buyAddon(s.ID, a.ID)
		if b.Status != "initiated" {
			t.Fatalf("bought = %+v", b)
		}
		invs := w.invoices("?reason=other&subscription=" + s.ID)
		if len(invs) != 1 {
			t.Fatalf("add-on invoices = %+v", invs)
		}
		inv := invs[0]
		if inv.Status != "finalized" || inv.SubtotalP.Amount != 500 || len(inv.Fees) != 1 || inv.Fees[0].Amount != 15 {
			t.Fatalf("invoice = %+v", inv)
		}
		checkTotals(t, inv)
		raw := w.Get(w.P("/invoices/" + inv.ID)).Expect(http.StatusOK).JSON()
		if line := raw["lineItems"].([]any)[0].(map[string]any); line["addon"] != a.ID || line["description"] != a.Name {
			t.Fatalf("line = %v", line)
		}
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		if got := w.bought(b.ID); got.Status != "active" {
			t.Fatalf("after payment = %+v", got)
		}
		// The renewal is not held by the add-on's invoice: it renews.
		w.advanceTo(blFeb10.Add(time.Minute))
		if got := w.sub(s.ID); got.Status != "active" || got.CurrentPeriod.Number != 2 {
			t.Fatalf("subscription = %+v", got)
		}
	})
}

// TestAddonsEndWithTheSubscription: ending the subscription ends its
// add-ons, and voids the invoice of one still initiated.
func TestAddonsEndWithTheSubscription(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{})
		s := w.blSub(nil)
		a := w.addonOK(planID(s), nil)
		paid := w.buyAddon(s.ID, a.ID)
		w.invoiceAction(w.invoices("?reason=other")[0].ID, "pay").Expect(http.StatusOK)
		unpaid := w.buyAddon(s.ID, a.ID)
		w.endNow(s.ID)
		for _, id := range []string{paid.ID, unpaid.ID} {
			if got := w.bought(id); got.Status != "ended" || got.EndedAt == nil {
				t.Fatalf("add-on after the end = %+v", got)
			}
		}
		if st := w.invoices("?reason=other")[0].Status; st != "voided" {
			t.Fatalf("unpaid add-on invoice is %s", st)
		}
	})
}

// TestCancelSubscriptionAddon: cancel ends an add-on now; twice is 409.
func TestCancelSubscriptionAddon(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		b := w.buyAddon(s.ID, w.addonOK(plan, nil).ID)
		var got bought
		w.Post(w.P("/subscriptionAddons/"+b.ID+"/cancel"), nil).Expect(http.StatusOK).Decode(&got)
		if got.Status != "ended" || got.CanceledAt == nil || got.EndedAt == nil {
			t.Fatalf("canceled = %+v", got)
		}
		w.Post(w.P("/subscriptionAddons/"+b.ID+"/cancel"), nil).ExpectError(http.StatusConflict, "conflict", "subscriptionAddonAlreadyEnded")
		var list struct{ Items []bought }
		w.Get(w.P("/subscriptionAddons?status=ended&subscription=" + s.ID)).Expect(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].ID != b.ID {
			t.Fatalf("ended add-ons = %+v", list.Items)
		}
	})
}

// TestSubscriptionAddonBadInputChangesNothing: unknown or archived
// add-ons, incompatible plans, other projects' ids and subscriptions that
// are not active are refused with clear codes and change nothing.
func TestSubscriptionAddonBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan, other := w.plan(nil), w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		ok := w.addonOK(plan, nil)
		archived := w.addonOK(plan, map[string]any{"status": "archived"})
		incompatible := w.addonOK(other, nil)
		pending := w.subscribe(plan, w.user(nil), "auto", nil)
		otherKey := w.NewProject("other", "test")
		var foreign struct{ ID string }
		w.Do(apitest.Request{Method: http.MethodPost, Path: "/projects/other/plans", Key: otherKey, Body: map[string]any{
			"name": "X", "provider": "test", "simTypes": []string{"eSIM"}, "price": map[string]any{"amount": 1, "currency": "USD"},
			"allowances": map[string]any{"dataBytes": 1, "voiceSeconds": nil, "smsMessages": nil},
			"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"}}}).Expect(http.StatusCreated).Decode(&foreign)
		before := takeSnapshot(t, db)
		for _, c := range []struct {
			name         string
			sub, addonID string
			status       int
			code         string
		}{
			{"unknown add-on", s.ID, "add_0000000000000000000000", 422, "addonNotFound"},
			{"archived add-on", s.ID, archived.ID, 422, "addonNotAvailable"},
			{"incompatible plan", s.ID, incompatible.ID, 422, "addonNotCompatible"},
			{"another project's id", s.ID, foreign.ID, 422, "addonNotFound"},
			{"unknown subscription", "sub_0000000000000000000000", ok.ID, 422, "subscriptionNotFound"},
			{"pending subscription", pending.ID, ok.ID, 409, "subscriptionNotActive"},
			{"missing addon", s.ID, "", 422, "fieldRequired"},
		} {
			typ := "invalid"
			if c.status == 409 {
				typ = "conflict"
			}
			w.Post(w.P("/subscriptionAddons"), map[string]any{"subscription": c.sub, "addon": c.addonID}).ExpectError(c.status, typ, c.code)
		}
		if d := before.diff(takeSnapshot(t, db)); len(d) > 0 {
			t.Fatalf("refused purchases changed %v", d)
		}
		// Once bought, an add-on's terms are fixed.
		w.buyAddon(s.ID, ok.ID)
		w.Patch(w.P("/addons/"+ok.ID), map[string]any{"price": map[string]any{"amount": 900, "currency": "USD"}}).
			ExpectError(http.StatusConflict, "conflict", "addonInUse")
	})
}

// TestQuoteForAnAddon: a quote prices an add-on for a subscription like
// its invoice will (reason other); a plan and an add-on together are
// refused.
func TestQuoteForAnAddon(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"recoveryFeePercentage": 3})
		s := w.blSub(nil)
		a := w.addonOK(planID(s), nil)
		q := w.Post(w.P("/quotes"), map[string]any{"addon": a.ID, "subscription": s.ID}).Expect(http.StatusCreated).JSON()
		line := q["lineItems"].([]any)[0].(map[string]any)
		if q["reason"] != "other" || q["user"] != blUser(s) || line["addon"] != a.ID || line["amount"] != float64(500) {
			t.Fatalf("quote = %v", q)
		}
		w.Post(w.P("/quotes"), map[string]any{"addon": a.ID, "subscription": s.ID, "plan": planID(s)}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "quoteInvalid")
		w.Post(w.P("/quotes"), map[string]any{"addon": a.ID}).ExpectError(http.StatusUnprocessableEntity, "invalid", "fieldRequired")
	})
}
