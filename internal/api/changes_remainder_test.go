package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// iccidOf is the ICCID of the SIM a subscription runs on now.
func iccidOf(t *testing.T, db *store.DB, sub string) string {
	t.Helper()
	var iccid string
	if err := db.QueryRow(context.Background(), `SELECT m.iccid FROM sims m JOIN subscriptions s ON s.sim_id = m.id WHERE s.id = ?`, sub).Scan(&iccid); err != nil {
		t.Fatal(err)
	}
	return iccid
}

// dataRecord is one hour of data use from at, as a carrier feed reports it.
func (w *world) dataRecord(iccid, phone string, at time.Time, bytes int64) network.UsageRecord {
	return network.UsageRecord{ICCID: iccid, PhoneNumber: phone, Start: at, End: at.Add(time.Hour), DataBytes: bytes,
		Country: "US", Roaming: network.RoamingNone, ReportedAt: w.now()}
}

// userBalance is what a user's balance holds, by currency.
func (w *world) userBalance(user string) []money {
	w.t.Helper()
	var bal struct{ Amounts []money }
	w.Get(w.P("/users/" + user + "/balance")).Expect(http.StatusOK).Decode(&bal)
	return bal.Amounts
}

// renewalChangeInvoicedAhead sets up a billed subscription (7 days of
// advance invoicing) with a renewal change to a cheaper plan (4.00)
// whose next period's invoice was issued ahead on that plan.
func (w *world) renewalChangeInvoicedAhead() (sub, string, change, invoice) {
	w.t.Helper()
	s := w.blSub(nil)
	cheap := w.planWith(500_000_000, 400, nil)
	w.advanceTo(blAt(time.January, 20, 0))
	c := w.changeOK(map[string]any{"subscription": s.ID, "plan": cheap, "when": "renewal"})
	w.advanceTo(blFeb3.Add(time.Minute))
	adv := w.blInvoice(s.ID, 2)
	if adv.LineItems[0].Amount != 400 {
		w.t.Fatalf("advance invoice = %+v", adv)
	}
	return s, cheap, c, adv
}

// refuseRenewalChange has the carrier refuse the renewal change once,
// and waits until it failed, before the renewal.
func (w *world) refuseRenewalChange(id string) {
	w.t.Helper()
	w.Post("/testing/providers/test/faults", map[string]any{"operation": "lines.changePlan", "count": 1, "code": "lineNotActive"}).
		Expect(http.StatusOK)
	w.advanceTo(blFeb10.Add(-30 * time.Minute))
	if got := w.change(id); got.Status != "failed" {
		w.t.Fatalf("change = %+v", got)
	}
}

// TestUsageStartedAddonActivatesWithTheFirstUsageAfterPurchase: an add-on
// with the usageStarted trigger waits pending; usage from before its
// purchase reported late does not start it; the first usage after it
// does, from that usage's start, in the ingest that records it; the same
// records replayed change nothing.
func TestUsageStartedAddonActivatesWithTheFirstUsageAfterPurchase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.planWith(1_000_000_000, 1000, nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		iccid := iccidOf(t, db, s.ID)
		w.advance(2 * time.Hour)
		b := w.buyAddon(s.ID, w.addonOK(plan, map[string]any{"activationTrigger": "usageStarted"}).ID)
		if b.Status != "pending" || b.ActivatedAt != nil {
			t.Fatalf("bought = %+v", b)
		}
		before := w.dataRecord(iccid, *s.PhoneNumber, w.now().Add(-time.Hour), 10_000_000)
		ingest(t, db, w.Project, []network.UsageRecord{before})
		if got := w.bought(b.ID); got.Status != "pending" {
			t.Fatalf("usage from before the purchase started it: %+v", got)
		}
		w.advance(3 * time.Hour)
		start := w.now().Add(-2 * time.Hour).Truncate(time.Second)
		after := w.dataRecord(iccid, *s.PhoneNumber, start, 20_000_000)
		for range 2 { // the feed replays its batch
			ingest(t, db, w.Project, []network.UsageRecord{before, after})
		}
		got := w.bought(b.ID)
		if got.Status != "active" || got.CurrentPeriod == nil || !got.CurrentPeriod.End.Equal(start.AddDate(0, 0, 7)) {
			t.Fatalf("after usage = %+v", got)
		}
		mustEqualTime(t, "activatedAt", got.ActivatedAt, start)
		want := []string{"com.gigs.subscriptionAddon.created", "com.gigs.subscriptionAddon.activated"}
		if evs := types(w.eventsOf(b.ID)); !slices.Equal(evs, want) {
			t.Fatalf("events = %v, want %v", evs, want)
		}
		if bs := w.dataBalances(s.ID); len(bs) != 2 || *bs[1].Source.SubscriptionAddon != b.ID || bs[1].Used != 0 {
			t.Fatalf("balances = %+v", bs)
		}
	})
}

// TestLateUsageForASwappedOutICCIDCountsForItsSubscription: after a SIM
// swap, usage the carrier reports late for the old ICCID, from before the
// swap, counts for the subscription that had that ICCID, not aside as
// unknownLine.
func TestLateUsageForASwappedOutICCIDCountsForItsSubscription(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.planWith(1_000_000_000, 1000, nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		oldICCID := iccidOf(t, db, s.ID)
		w.advance(3 * time.Hour)
		used := w.now().Add(-2 * time.Hour)
		if c := w.changeOK(map[string]any{"subscription": s.ID, "sim": "auto", "when": "now"}); w.change(c.ID).Status != "applied" {
			t.Fatalf("swap = %+v", w.change(c.ID))
		}
		if iccidOf(t, db, s.ID) == oldICCID {
			t.Fatal("the swap kept the ICCID")
		}
		w.advance(time.Hour)
		ingest(t, db, w.Project, []network.UsageRecord{w.dataRecord(oldICCID, *s.PhoneNumber, used, 40_000_000)})
		if bs := w.dataBalances(s.ID); len(bs) != 1 || bs[0].Used != 40_000_000 {
			t.Fatalf("balances after late usage for the old ICCID = %+v", bs)
		}
		var aside int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM usage_orphans WHERE project_id = ?`, w.Project).Scan(&aside); err != nil {
			t.Fatal(err)
		}
		if aside != 0 {
			t.Fatalf("%d records kept aside", aside)
		}
	})
}

// TestCanceledAddonIsCreditedOnlyIfItNeverActivated: canceling a paid
// add-on that never activated credits its invoice in full to the user's
// balance (nothing was served); canceling an active one credits nothing,
// as a started period is not prorated.
func TestCanceledAddonIsCreditedOnlyIfItNeverActivated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"recoveryFeePercentage": 3})
		s := w.blSub(nil)
		waiting := w.buyAddon(s.ID, w.addonOK(planID(s), map[string]any{"activationTrigger": "usageStarted",
			"price": map[string]any{"amount": 700, "currency": "USD"}}).ID)
		active := w.buyAddon(s.ID, w.addonOK(planID(s), nil).ID)
		invs := w.invoices("?reason=other&subscription=" + s.ID)
		if len(invs) != 2 {
			t.Fatalf("add-on invoices = %+v", invs)
		}
		for _, inv := range invs {
			w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		}
		if a, b := w.bought(waiting.ID).Status, w.bought(active.ID).Status; a != "pending" || b != "active" {
			t.Fatalf("after payment: %s, %s", a, b)
		}
		for _, id := range []string{waiting.ID, active.ID} {
			w.Post(w.P("/subscriptionAddons/"+id+"/cancel"), nil).Expect(http.StatusOK)
		}
		credited := map[string]int64{}
		for _, inv := range invs {
			for _, n := range w.creditNotes("?invoice=" + inv.ID) {
				if n.CreditTo != "userBalance" || n.Status != "issued" || n.Total.Amount != inv.TotalP.Amount {
					t.Fatalf("credit note = %+v for %+v", n, inv)
				}
				credited[inv.ID] += n.Total.Amount
			}
		}
		var waitingInv invoice
		for _, inv := range invs {
			if inv.SubtotalP.Amount == 700 {
				waitingInv = inv
			}
		}
		if len(credited) != 1 || credited[waitingInv.ID] == 0 {
			t.Fatalf("credited = %v, want only the waiting add-on's invoice %s", credited, waitingInv.ID)
		}
		if bal := w.userBalance(blUser(s)); len(bal) != 1 || bal[0].Amount != waitingInv.TotalP.Amount {
			t.Fatalf("balance = %+v", bal)
		}
	})
}

// TestRefusedRenewalChangeAfterAPaidAdvanceInvoiceChargesTheKeptPlan: the
// advance invoice priced the change's plan and was paid; the carrier then
// refuses the change. That invoice is credited in full to the user's
// balance and the period is invoiced again at the kept plan's price,
// which the balance pays first: the user pays the kept plan's price.
func TestRefusedRenewalChangeAfterAPaidAdvanceInvoiceChargesTheKeptPlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"advanceInvoicingDays": 7})
		s, cheap, c, adv := w.renewalChangeInvoicedAhead()
		w.invoiceAction(adv.ID, "pay").Expect(http.StatusOK)
		w.refuseRenewalChange(c.ID)
		notes := w.creditNotes("?invoice=" + adv.ID)
		if len(notes) != 1 || notes[0].CreditTo != "userBalance" || notes[0].Total.Amount != adv.TotalP.Amount {
			t.Fatalf("credit notes of the advance invoice = %+v", notes)
		}
		others := w.invoices("?reason=other&subscription=" + s.ID)
		if len(others) != 1 || others[0].LineItems[0].Amount != 1000 || others[0].LineItems[0].Plan != planID(s) {
			t.Fatalf("invoices for the kept plan = %+v", others)
		}
		again := others[0]
		if again.AppliedBalance == nil || int64(again.AppliedBalance["amount"].(float64)) != adv.TotalP.Amount || again.Status != "finalized" {
			t.Fatalf("the kept plan's invoice = %+v", again)
		}
		w.invoiceAction(again.ID, "pay").Expect(http.StatusOK)
		if bal := w.userBalance(blUser(s)); len(bal) != 0 && (len(bal) != 1 || bal[0].Amount != 0) {
			t.Fatalf("balance left = %+v", bal)
		}
		w.advanceTo(blFeb10.Add(time.Minute))
		if got := w.sub(s.ID); got.Status != "active" || planID(got) == cheap || got.CurrentPeriod.Number != 2 {
			t.Fatalf("after the renewal = %+v", got)
		}
	})
}

// TestCarrierIsToldWhenAnAddonStartsAndEnds: an add-on's activation gives
// the line its allowances at the carrier, through an outbound operation;
// its end (validity run out, or canceled) takes them back.
func TestCarrierIsToldWhenAnAddonStartsAndEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		carriers := network.Default()
		w := newWorldOn(t, db, carriers)
		p, _ := carriers.Provider("test")
		sim := p.(*network.Simulator)
		plan := w.planWith(1_000_000_000, 1000, nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		iccid := iccidOf(t, db, s.ID)
		held := func() map[string]network.Allowances {
			_, addons := sim.LineAllowances(iccid)
			return addons
		}
		top := w.buyAddon(s.ID, w.addonOK(plan, nil).ID)
		other := w.buyAddon(s.ID, w.addonOK(plan, map[string]any{"allowances": map[string]any{"dataBytes": 0, "voiceSeconds": 600, "smsMessages": nil}}).ID)
		w.advance(time.Minute)
		got := held()
		if len(got) != 2 || *got[top.ID].DataBytes != 1_000_000_000 || *got[other.ID].VoiceSeconds != 600 || got[other.ID].SMSMessages != nil {
			t.Fatalf("the carrier holds %+v", got)
		}
		w.Post(w.P("/subscriptionAddons/"+other.ID+"/cancel"), nil).Expect(http.StatusOK)
		w.advance(time.Minute)
		if got := held(); len(got) != 1 || got[top.ID].DataBytes == nil {
			t.Fatalf("after the cancel the carrier holds %+v", got)
		}
		w.advanceTo(top.CurrentPeriod.End.Add(time.Hour))
		if got := held(); len(got) != 0 {
			t.Fatalf("after the validity the carrier holds %+v", got)
		}
	})
}

// TestAddonAllowancesReachTheCarrierOutsideTransactions: the calls that
// give and take back an add-on's allowances run with no database
// transaction open, once each.
func TestAddonAllowancesReachTheCarrierOutsideTransactions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, carrierCalls := guardedWorld(t, db)
		plan := w.plan(nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		b := w.buyAddon(s.ID, w.addonOK(plan, nil).ID)
		w.Post(w.P("/subscriptionAddons/"+b.ID+"/cancel"), nil).Expect(http.StatusOK)
		w.advance(time.Minute)
		calls := carrierCalls()
		var got []string
		for _, c := range calls {
			if c == "addonAllowance" {
				got = append(got, c)
			}
		}
		if len(got) != 2 {
			t.Fatalf("carrier calls %v, want two addonAllowance", calls)
		}
	})
}
