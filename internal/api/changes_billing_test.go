package api_test

import (
	"net/http"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestPlanUpgradeNowWithProrationThenRenewalOnTheNewPlan: with
// prorateImmediately an upgrade on Jan 25 (16 of the period's 31 days
// left) invoices 2000 × 16/31 = 1032.26 → 1032; the change waits
// initiated until that invoice is paid, is then applied, and the next
// renewal invoices the new plan's price.
func TestPlanUpgradeNowWithProrationThenRenewalOnTheNewPlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"prorationBehavior": "prorateImmediately"})
		s := w.blSub(nil)
		dear := w.planWith(5_000_000_000, 3000, nil)
		w.advanceTo(blAt(time.January, 25, 0))
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": dear, "when": "now"})
		if c.Status != "initiated" {
			t.Fatalf("change = %+v, want initiated until its invoice is paid", c)
		}
		others := w.invoices("?reason=other&subscription=" + s.ID)
		if len(others) != 1 {
			t.Fatalf("change invoices = %+v", others)
		}
		inv := others[0]
		if inv.Status != "finalized" || len(inv.LineItems) != 1 || inv.LineItems[0].Amount != 1032 || inv.LineItems[0].Plan != dear {
			t.Fatalf("change invoice = %+v", inv)
		}
		checkTotals(t, inv)
		if got := w.sub(s.ID); planID(got) == dear {
			t.Fatal("the plan changed before the invoice was paid")
		}
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		if got := w.change(c.ID); got.Status != "applied" {
			t.Fatalf("after payment: %+v", got)
		}
		if got := w.sub(s.ID); planID(got) != dear || got.CurrentPeriod.Number != 1 {
			t.Fatalf("subscription after the change = %+v", got)
		}
		w.advanceTo(blFeb10.Add(time.Minute))
		renewal := w.blInvoice(s.ID, 2)
		if renewal.Reason != "subscriptionRenewal" || renewal.LineItems[0].Amount != 3000 || renewal.LineItems[0].Plan != dear {
			t.Fatalf("renewal invoice = %+v", renewal)
		}
	})
}

// TestProrationNoneChargesTheNewPriceFromTheRenewal: with the default
// behavior an upgrade now is applied at once with no invoice, and the
// renewal invoices the new price.
func TestProrationNoneChargesTheNewPriceFromTheRenewal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{})
		s := w.blSub(nil)
		dear := w.planWith(5_000_000_000, 3000, nil)
		w.advanceTo(blAt(time.January, 25, 0))
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": dear, "when": "now"})
		if got := w.change(c.ID); got.Status != "applied" || len(w.invoices("?reason=other")) != 0 {
			t.Fatalf("change %+v", got)
		}
		w.advanceTo(blFeb10.Add(time.Minute))
		if inv := w.blInvoice(s.ID, 2); inv.LineItems[0].Amount != 3000 {
			t.Fatalf("renewal invoice = %+v", inv)
		}
	})
}

// TestRenewalChangeMakesTheAdvanceInvoiceUseTheNewPlan: a renewal change
// requested before the advance invoice makes that invoice price the new
// plan; once it is issued, plan changes are too close to the renewal.
func TestRenewalChangeMakesTheAdvanceInvoiceUseTheNewPlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"advanceInvoicingDays": 7})
		s := w.blSub(nil)
		cheap := w.planWith(500_000_000, 400, nil)
		other := w.planWith(700_000_000, 600, nil)
		w.advanceTo(blAt(time.January, 20, 0))
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": cheap, "when": "renewal"})
		w.advanceTo(blFeb3.Add(time.Minute))
		adv := w.blInvoice(s.ID, 2)
		if adv.LineItems[0].Amount != 400 || adv.LineItems[0].Plan != cheap {
			t.Fatalf("advance invoice = %+v", adv)
		}
		w.Delete(w.P("/subscriptionChanges/"+c.ID)).ExpectError(http.StatusUnprocessableEntity, "invalid", "subscriptionPlanChangeTooCloseToRenewal")
		w.invoiceAction(adv.ID, "pay").Expect(http.StatusOK)
		w.advanceTo(blFeb10.Add(time.Minute))
		got := w.sub(s.ID)
		if planID(got) != cheap || got.Status != "active" || got.CurrentPeriod.Number != 2 {
			t.Fatalf("after the renewal = %+v", got)
		}
		w.advanceTo(blAt(time.March, 4, 0))
		w.requestChange(map[string]any{"subscription": s.ID, "plan": other, "when": "renewal"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "subscriptionPlanChangeTooCloseToRenewal")
	})
}

// TestRefusedRenewalChangeReissuesTheAdvanceInvoice: the carrier refuses
// a renewal change after the advance invoice priced its plan; that unpaid
// invoice is voided and issued again on the plan the subscription keeps.
func TestRefusedRenewalChangeReissuesTheAdvanceInvoice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"advanceInvoicingDays": 7})
		s, cheap, c, _ := w.renewalChangeInvoicedAhead()
		w.refuseRenewalChange(c.ID)
		invs := w.blPeriodInvoices(s.ID, 2)
		if len(invs) != 2 || invs[0].Status != "finalized" || invs[0].LineItems[0].Amount != 1000 || invs[1].Status != "voided" {
			t.Fatalf("period 2 invoices = %+v", invs)
		}
		w.invoiceAction(invs[0].ID, "pay").Expect(http.StatusOK)
		w.advanceTo(blFeb10.Add(time.Minute))
		if got := w.sub(s.ID); got.Status != "active" || planID(got) == cheap || got.CurrentPeriod.Number != 2 {
			t.Fatalf("after the renewal = %+v", got)
		}
	})
}

// TestCheaperPlanNowCreditsTheProratedSavingToTheBalance: with
// prorateImmediately a change on Jan 25 (16 of 31 days left) to a plan
// 6.00 cheaper with the same allowances is applied at once and credits the
// paid period invoice to the user's balance in the share 600 × 16/31 =
// 309.68 → 310 is of the old price (1000), taxes and fees included.
func TestCheaperPlanNowCreditsTheProratedSavingToTheBalance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"prorationBehavior": "prorateImmediately"})
		s := w.blSub(nil)
		first := w.firstInvoice(s.ID)
		cheap := w.plan(map[string]any{"price": map[string]any{"amount": 400, "currency": "USD"}})
		w.advanceTo(blAt(time.January, 25, 0))
		c := w.changeOK(map[string]any{"subscription": s.ID, "plan": cheap, "when": "now"})
		if got := w.change(c.ID); got.Status != "applied" || len(w.invoices("?reason=other&subscription="+s.ID)) != 0 {
			t.Fatalf("change %+v: want applied at once with no invoice", got)
		}
		notes := w.creditNotes("?invoice=" + first.ID)
		if len(notes) != 1 || notes[0].CreditTo != "userBalance" || notes[0].Status != "issued" {
			t.Fatalf("credit notes of the period invoice = %+v", notes)
		}
		want := (first.TotalP.Amount*310*2 + 1000) / 2000 // half up
		if notes[0].Total.Amount != want {
			t.Fatalf("credit note total %d, want %d of the invoice's %d", notes[0].Total.Amount, want, first.TotalP.Amount)
		}
		var bal struct{ Amounts []money }
		w.Get(w.P("/users/" + s.User["id"].(string) + "/balance")).Expect(http.StatusOK).Decode(&bal)
		if len(bal.Amounts) != 1 || bal.Amounts[0].Amount != want {
			t.Fatalf("user balance %+v, want %d", bal.Amounts, want)
		}
	})
}
