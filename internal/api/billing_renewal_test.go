package api_test

import (
	"net/http"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// Renewal invoices of seed 003 (docs/billing.md §2, §3), on the calendar
// of the worked timelines: activated Jan 10, renewals on the 10th.

// TestBillingInvoiceOnCreateAndRenew: "When a subscription is created or
// renewed, an invoice is generated for the user."
func TestBillingInvoiceOnCreateAndRenew(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		s := w.blSub(nil)
		user := blUser(s)
		if first := w.firstInvoice(s.ID); first.User != user || first.Status != "paid" || first.Period != nil {
			t.Fatalf("creation invoice = %+v", first)
		}
		for n := 2; n <= 3; n++ {
			w.advanceTo(blMonth(n).Start)
			inv := w.blInvoice(s.ID, n)
			blCheckInvoice(t, inv, "subscriptionRenewal", "finalized", blMonth(n), blPtr(blMonth(n).Start))
			if inv.User != user || inv.Subscription != s.ID {
				t.Fatalf("renewal invoice %d = %+v, want for %s", n, inv, user)
			}
			mustEqualTime(t, "finalizedAt", inv.FinalizedAt, blMonth(n).Start)
			w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		}
		if got := w.invoices("?user=" + user); len(got) != 3 {
			t.Fatalf("invoices of the user = %d, want 3 (creation and two renewals)", len(got))
		}
	})
}

// TestBillingRenewalPaymentEnsuresService: "for renewals, payment ensures
// continued service". Defaults: overdue 3 days after renewal, then ended.
func TestBillingRenewalPaymentEnsuresService(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan := w.plan(nil)
		subs := w.blActivate(w.subscribe(plan, w.user(nil), "auto", nil).ID, w.subscribe(plan, w.user(nil), "auto", nil).ID)
		payer, debtor := subs[0].ID, subs[1].ID
		for n := 2; n <= 4; n++ {
			w.advanceTo(blMonth(n).Start.Add(24 * time.Hour))
			w.invoiceAction(w.blInvoice(payer, n).ID, "pay").Expect(http.StatusOK)
		}
		s := w.blExpectSub(payer, "active", nil, "")
		if *s.CurrentPeriod != blMonth(4) {
			t.Fatalf("payer's period = %+v, want %+v", *s.CurrentPeriod, blMonth(4))
		}
		w.blExpectSub(debtor, "ended", blPtr(blFeb10.Add(3*24*time.Hour)), "invoiceUnpaid")
		w.blNoInvoice(debtor, 3)
	})
}

// TestBillingPayPreventsEndAtNextRenewal: "... or prevent the
// subscription from being ended on the next renewal." With action none an
// overdue invoice keeps the line; paying it lets the next renewal happen.
func TestBillingPayPreventsEndAtNextRenewal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "invoiceOverdueAction": "none"})
		plan := w.plan(nil)
		subs := w.blActivate(w.subscribe(plan, w.user(nil), "auto", nil).ID, w.subscribe(plan, w.user(nil), "auto", nil).ID)
		payer, debtor := subs[0].ID, subs[1].ID
		w.advanceTo(blAt(time.February, 20, 0)) // both overdue since Feb 13
		w.invoiceAction(w.blInvoice(payer, 2).ID, "pay").Expect(http.StatusOK)
		w.advanceTo(blMar10)
		if s := w.blExpectSub(payer, "active", nil, ""); s.CurrentPeriod.Number != 3 {
			t.Fatalf("payer's period = %+v, want 3", s.CurrentPeriod)
		}
		w.blExpectSub(debtor, "ended", &blMar10, "invoiceUnpaid")
		if inv := w.blInvoice(debtor, 2); inv.Status != "finalized" {
			t.Fatalf("debtor's invoice = %s, want finalized (still payable)", inv.Status)
		}
		w.blNoInvoice(debtor, 3)
	})
}

// TestBillingRenewalInvoiceAfterRenewal: "By default, invoices for
// subscription renewals are created after the subscription renews."
func TestBillingRenewalInvoiceAfterRenewal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		s := w.blSub(nil)
		w.advanceTo(blFeb10.Add(-time.Minute))
		w.blNoInvoice(s.ID, 2)
		w.advanceTo(blFeb10)
		w.blExpectLog(s.ID, blFeb10.Add(-time.Minute),
			"Feb 10 00:00 subscription.renewed sub",
			"Feb 10 00:00 invoice.created inv2",
			"Feb 10 00:00 invoice.finalized inv2")
		blCheckInvoice(t, w.blInvoice(s.ID, 2), "subscriptionRenewal", "finalized", blMonth(2), &blFeb10)
	})
}

// TestBillingAdvanceInvoicing: "you can configure invoices to be created
// several days before the renewal date".
func TestBillingAdvanceInvoicing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7})
		s := w.blSub(nil)
		w.advanceTo(blFeb3.Add(-time.Minute))
		w.blNoInvoice(s.ID, 2)
		w.advanceTo(blFeb3)
		inv := w.blInvoice(s.ID, 2)
		blCheckInvoice(t, inv, "subscriptionRenewal", "finalized", blMonth(2), &blFeb10)
		mustEqualTime(t, "finalizedAt", inv.FinalizedAt, blFeb3)
		if got := w.sub(s.ID); got.CurrentPeriod.Number != 1 {
			t.Fatalf("period when invoiced = %+v, want still 1", got.CurrentPeriod)
		}
		w.advanceTo(blAt(time.February, 5, 0))
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		w.advanceTo(blMar10.Add(-7 * 24 * time.Hour))
		w.blExpectLog(s.ID, blFeb3,
			"Feb 3 00:00 invoice.created inv2",
			"Feb 3 00:00 invoice.finalized inv2",
			"Feb 5 00:00 invoice.paid inv2",
			"Feb 10 00:00 subscription.renewed sub",
			"Mar 3 00:00 invoice.created inv3",
			"Mar 3 00:00 invoice.finalized inv3")
		blCheckInvoice(t, w.blInvoice(s.ID, 3), "subscriptionRenewal", "finalized", blMonth(3), &blMar10)
	})
}

// TestBillingAdvanceUnpaidAtRenewalEnds: "When these invoices remain unpaid
// at the renewal time, the subscriptions will not renew and will be ended
// instead", whatever the overdue action (docs/billing.md §3 reading 2).
func TestBillingAdvanceUnpaidAtRenewalEnds(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"none", "end", "restrict"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7, "invoiceOverdueDays": 0,
					"invoiceOverdueAction": action})
				s := w.blSub(nil)
				w.advanceTo(blFeb10.Add(24 * time.Hour))
				w.blExpectSub(s.ID, "ended", &blFeb10, "invoiceUnpaid")
				w.blExpectLog(s.ID, blFeb3,
					"Feb 3 00:00 invoice.created inv2",
					"Feb 3 00:00 invoice.finalized inv2",
					"Feb 9 00:00 invoice.willBeOverdue inv2",
					"Feb 10 00:00 invoice.overdue inv2",
					"Feb 10 00:00 subscription.ended sub",
					"Feb 10 00:00 invoice.voided inv2")
				inv := w.blInvoice(s.ID, 2)
				mustEqualTime(t, "voidedAt", inv.VoidedAt, blFeb10)
				w.invoiceAction(inv.ID, "pay").ExpectError(http.StatusConflict, "conflict", "invoiceVoided")
			})
		})
	}
}

// TestBillingUnpaidRenewalPreventsRenewal: "not marking the renewal
// invoice as paid will eventually prevent the subscription to renew
// according the behavior defined by your delinquency settings".
func TestBillingUnpaidRenewalPreventsRenewal(t *testing.T) {
	t.Parallel()
	grace := blFeb10.Add(3 * 24 * time.Hour)
	for _, tc := range []struct {
		action, inGrace string    // status once the invoice is overdue
		endedAt         time.Time // ended then, never renewed again
	}{
		{"none", "active", blMar10},
		{"end", "ended", grace},
		{"restrict", "restricted", blMar10},
	} {
		t.Run(tc.action, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "invoiceOverdueDays": 3, "invoiceOverdueAction": tc.action})
				s := w.blSub(nil)
				w.advanceTo(grace)
				if got := w.sub(s.ID); got.Status != tc.inGrace {
					t.Fatalf("status once overdue = %s, want %s", got.Status, tc.inGrace)
				}
				w.advanceTo(blMonth(4).Start)
				w.blExpectSub(s.ID, "ended", &tc.endedAt, "invoiceUnpaid")
				if inv := w.blInvoice(s.ID, 2); inv.Status != "finalized" {
					t.Fatalf("invoice of a period served = %s, want finalized (payable)", inv.Status)
				}
				w.blNoInvoice(s.ID, 3)
				renewals := 0
				for _, e := range w.blLog(blJan10) {
					if e.Type == "subscription.renewed" {
						renewals++
					}
				}
				if renewals != 1 {
					t.Fatalf("renewals = %d, want 1 (into period 2 only)", renewals)
				}
			})
		})
	}
}

// TestBillingRenewalDueAtRenewal: "Renewal invoices are always due at the
// time of renewal", whether issued at it or in advance.
func TestBillingRenewalDueAtRenewal(t *testing.T) {
	t.Parallel()
	for _, days := range []int{0, 7} {
		t.Run(time.Duration(days*24*int(time.Hour)).String(), func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": days})
				s := w.blSub(nil)
				if first := w.firstInvoice(s.ID); first.DueAt != nil {
					t.Fatalf("creation invoice dueAt = %s, want null", first.DueAt)
				}
				for n := 2; n <= 3; n++ {
					renewal := blMonth(n).Start
					w.advanceTo(renewal)
					inv := w.blInvoice(s.ID, n)
					blCheckInvoice(t, inv, "subscriptionRenewal", "finalized", blMonth(n), &renewal)
					mustEqualTime(t, "finalizedAt", inv.FinalizedAt, renewal.AddDate(0, 0, -days))
					w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
				}
			})
		})
	}
}

// TestBillingAdvanceInvoiceHeldWhileUnpaid: with an unpaid renewal
// invoice the next advance invoice is held; paying releases it at once
// (docs/billing.md §3, worked timeline T6).
func TestBillingAdvanceInvoiceHeldWhileUnpaid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7, "invoiceOverdueDays": 3,
			"invoiceOverdueAction": "none"})
		s := w.blSub(nil)
		w.advanceTo(blAt(time.March, 4, 0))
		w.blNoInvoice(s.ID, 3) // Mar 3 passed: held
		paidAt := blAt(time.March, 5, 0)
		w.advanceTo(paidAt)
		w.invoiceAction(w.blInvoice(s.ID, 2).ID, "pay").Expect(http.StatusOK)
		inv := w.blInvoice(s.ID, 3)
		blCheckInvoice(t, inv, "subscriptionRenewal", "finalized", blMonth(3), &blMar10)
		mustEqualTime(t, "finalizedAt", inv.FinalizedAt, paidAt)
		w.advanceTo(blAt(time.March, 14, 0))
		w.blExpectLog(s.ID, paidAt,
			"Mar 5 00:00 invoice.paid inv2",
			"Mar 5 00:00 invoice.created inv3",
			"Mar 5 00:00 invoice.finalized inv3",
			"Mar 10 00:00 subscription.renewed sub",
			"Mar 12 00:00 invoice.willBeOverdue inv3",
			"Mar 13 00:00 invoice.overdue inv3")
		w.blExpectSub(s.ID, "active", nil, "")
	})
}

// TestBillingCancelBeforeCutoffVoidsAdvanceInvoice: canceled before the
// cutoff, the unpaid advance invoice of a period never entered is voided
// at once; canceled after it, the period is committed and its invoice
// untouched (docs/billing.md §3 readings 8 and 10).
func TestBillingCancelBeforeCutoffVoidsAdvanceInvoice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7})
		plan := w.plan(nil)
		subs := w.blActivate(w.subscribe(plan, w.user(nil), "auto", nil).ID, w.subscribe(plan, w.user(nil), "auto", nil).ID)
		early, late := subs[0].ID, subs[1].ID
		cancelAt := blAt(time.February, 5, 0)
		w.advanceTo(cancelAt)
		var canceled sub
		w.action(early, "cancel", nil).Expect(http.StatusOK).Decode(&canceled)
		mustEqualTime(t, "endedAt", canceled.EndedAt, blFeb10)
		inv := w.blInvoice(early, 2)
		if inv.Status != "voided" {
			t.Fatalf("advance invoice after cancel = %s, want voided", inv.Status)
		}
		mustEqualTime(t, "voidedAt", inv.VoidedAt, cancelAt)
		w.invoiceAction(inv.ID, "pay").ExpectError(http.StatusConflict, "conflict", "invoiceVoided")

		// After the cutoff (Feb 9 23:00) the next period is committed.
		lateInv := w.blInvoice(late, 2)
		w.invoiceAction(lateInv.ID, "pay").Expect(http.StatusOK)
		w.advanceTo(blFeb10.Add(-30 * time.Minute))
		w.action(late, "cancel", nil).Expect(http.StatusOK).Decode(&canceled)
		mustEqualTime(t, "endedAt", canceled.EndedAt, blMar10)
		if got := w.blInvoice(late, 2); got.Status != "paid" || len(w.creditNotes("?invoice="+lateInv.ID)) != 0 {
			t.Fatalf("committed period's invoice = %s, want paid and not credited", got.Status)
		}
		w.advanceTo(blMar10)
		w.blExpectSub(early, "ended", &blFeb10, "cancellationRequested")
		w.blExpectSub(late, "ended", &blMar10, "cancellationRequested")
		w.blNoInvoice(late, 3) // no advance invoice on Mar 3
		w.blExpectLog(early, cancelAt,
			"Feb 5 00:00 subscription.canceled sub",
			"Feb 5 00:00 invoice.voided inv2",
			"Feb 10 00:00 subscription.ended sub")
	})
}

// TestBillingCancelBeforeCutoffCreditsPaidAdvanceInvoice: a paid advance
// invoice of a period the subscription will not enter is credited in full
// to the user's balance when it is canceled (docs/billing.md §3 reading 8).
func TestBillingCancelBeforeCutoffCreditsPaidAdvanceInvoice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7})
		s := w.blSub(nil)
		w.advanceTo(blAt(time.February, 4, 0))
		inv := w.blInvoice(s.ID, 2)
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		cancelAt := blAt(time.February, 5, 0)
		w.advanceTo(cancelAt)
		w.action(s.ID, "cancel", nil).Expect(http.StatusOK)
		notes := w.creditNotes("?invoice=" + inv.ID)
		if len(notes) != 1 || notes[0].CreditTo != "userBalance" || notes[0].Status != "issued" || notes[0].Total != inv.TotalP {
			t.Fatalf("credit notes = %+v, want one full userBalance note of %+v", notes, inv.TotalP)
		}
		if got := w.blInvoice(s.ID, 2); got.Status != "paid" {
			t.Fatalf("credited invoice = %s, want paid", got.Status)
		}
		if row, entries := balance(t, db, blUser(s)); row != inv.TotalP.Amount || entries != row {
			t.Fatalf("balance = %d (entries %d), want %d", row, entries, inv.TotalP.Amount)
		}
		w.advanceTo(blFeb10)
		w.blExpectSub(s.ID, "ended", &blFeb10, "cancellationRequested")
		w.blExpectLog(s.ID, cancelAt,
			"Feb 5 00:00 subscription.canceled sub",
			"Feb 5 00:00 creditNote.created crn",
			"Feb 10 00:00 subscription.ended sub")
	})
}

// TestBillingResumeReissuesAdvanceInvoice: resuming undoes what the
// cancel settled (docs/billing.md §3 reading 9): a voided unpaid advance
// invoice is issued anew for the same period; a paid one that was credited
// to the balance gets the credit voided and stands paid again.
func TestBillingResumeReissuesAdvanceInvoice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		paid bool
	}{{"unpaid", false}, {"paid", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7})
				s := w.blSub(nil)
				w.advanceTo(blAt(time.February, 4, 0))
				old := w.blInvoice(s.ID, 2)
				if tc.paid {
					w.invoiceAction(old.ID, "pay").Expect(http.StatusOK)
				}
				w.advanceTo(blAt(time.February, 5, 0))
				w.action(s.ID, "cancel", nil).Expect(http.StatusOK)
				resumeAt := blAt(time.February, 6, 0)
				w.advanceTo(resumeAt)
				w.action(s.ID, "resume", nil).Expect(http.StatusOK)
				inv := w.blInvoice(s.ID, 2)
				if tc.paid {
					if inv.ID != old.ID || inv.Status != "paid" {
						t.Fatalf("period 2 invoice after resume = %s %s, want the paid %s", inv.ID, inv.Status, old.ID)
					}
					notes := w.creditNotes("?invoice=" + old.ID)
					if len(notes) != 1 || notes[0].Status != "voided" {
						t.Fatalf("credit notes of %s after resume = %+v, want the cancel's note voided", old.ID, notes)
					}
				} else {
					if inv.ID == old.ID {
						t.Fatalf("no new invoice for period 2 after resume")
					}
					blCheckInvoice(t, inv, "subscriptionRenewal", "finalized", blMonth(2), &blFeb10)
					mustEqualTime(t, "finalizedAt", inv.FinalizedAt, resumeAt)
				}
				if row, entries := balance(t, db, blUser(s)); row != 0 || entries != 0 {
					t.Fatalf("balance after resume = %d (entries %d), want 0", row, entries)
				}
				w.advanceTo(blFeb10)
				if got := w.blExpectSub(s.ID, "active", nil, ""); got.CurrentPeriod.Number != 2 {
					t.Fatalf("period after renewal = %+v, want 2", got.CurrentPeriod)
				}
			})
		})
	}
}

// TestBillingUserBalanceAppliedToNextInvoice: a userBalance credit note on
// one invoice lowers the amount due on the next renewal invoice
// (appliedBalance); a balance covering the total pays it at once.
func TestBillingUserBalanceAppliedToNextInvoice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan := w.plan(nil)
		subs := w.blActivate(w.subscribe(plan, w.user(nil), "auto", nil).ID, w.subscribe(plan, w.user(nil), "auto", nil).ID)
		part, full := subs[0], subs[1]
		first := w.firstInvoice(part.ID)
		w.credit(map[string]any{"invoice": first.ID, "creditTo": "userBalance",
			"lineItems": []any{map[string]any{"invoiceLineItem": first.LineItems[0].ID, "amount": 300}}})
		w.credit(map[string]any{"invoice": w.firstInvoice(full.ID).ID, "creditTo": "userBalance"})
		w.advanceTo(blFeb10)

		inv := w.blInvoice(part.ID, 2)
		if inv.Status != "finalized" || inv.AppliedBalance == nil || inv.AppliedBalance["amount"] != 300.0 ||
			inv.AppliedBalance["currency"] != "USD" || inv.TotalP != first.TotalP {
			t.Fatalf("renewal invoice = %+v, want total %+v with 300 applied", inv, first.TotalP)
		}
		covered := w.blInvoice(full.ID, 2)
		if covered.Status != "paid" || covered.AppliedBalance == nil || int64(covered.AppliedBalance["amount"].(float64)) != covered.TotalP.Amount {
			t.Fatalf("renewal invoice = %+v, want paid from the balance", covered)
		}
		mustEqualTime(t, "paidAt", covered.PaidAt, blFeb10)
		for _, s := range subs {
			if row, entries := balance(t, db, blUser(s)); row != 0 || entries != 0 {
				t.Fatalf("balance of %s = %d (entries %d), want spent", s.ID, row, entries)
			}
		}
	})
}

// TestBillingWindowInvoiceAtRenewalWithGrace: "Invoice at renewal and
// provide a grace period with full connectivity".
func TestBillingWindowInvoiceAtRenewalWithGrace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 0, "invoiceOverdueDays": 5,
			"invoiceOverdueAction": "end"})
		plan := w.plan(nil)
		subs := w.blActivate(w.subscribe(plan, w.user(nil), "auto", nil).ID, w.subscribe(plan, w.user(nil), "auto", nil).ID)
		payer, debtor := subs[0].ID, subs[1].ID
		graceEnd := blFeb10.Add(5 * 24 * time.Hour)
		w.advanceTo(graceEnd.Add(-time.Hour))
		for _, id := range []string{payer, debtor} {
			inv := w.blInvoice(id, 2)
			mustEqualTime(t, "finalizedAt", inv.FinalizedAt, blFeb10)
			if s := w.blExpectSub(id, "active", nil, ""); s.CurrentPeriod.Number != 2 {
				t.Fatalf("period in grace = %+v, want 2", s.CurrentPeriod)
			}
		}
		w.invoiceAction(w.blInvoice(payer, 2).ID, "pay").Expect(http.StatusOK)
		w.advanceTo(blMar10)
		w.blExpectSub(debtor, "ended", &graceEnd, "invoiceUnpaid")
		if s := w.blExpectSub(payer, "active", nil, ""); s.CurrentPeriod.Number != 3 {
			t.Fatalf("payer's period = %+v, want 3", s.CurrentPeriod)
		}
	})
}

// TestBillingWindowAdvanceGraceRestricted: "Invoice a few days before
// renewal and provide a grace period with restricted connectivity"
// (worked timeline T5).
func TestBillingWindowAdvanceGraceRestricted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7, "invoiceOverdueDays": 3,
			"invoiceOverdueAction": "restrict"})
		plan := w.plan(nil)
		subs := w.blActivate(w.subscribe(plan, w.user(nil), "auto", nil).ID, w.subscribe(plan, w.user(nil), "auto", nil).ID)
		payer, debtor := subs[0].ID, subs[1].ID
		w.advanceTo(blFeb10.Add(2 * 24 * time.Hour))
		for _, id := range []string{payer, debtor} {
			if s := w.blExpectSub(id, "active", nil, ""); s.CurrentPeriod.Number != 2 {
				t.Fatalf("renewed unpaid into grace: period %+v, want 2", s.CurrentPeriod)
			}
		}
		w.advanceTo(blFeb10.Add(3 * 24 * time.Hour))
		w.blExpectSub(payer, "restricted", nil, "")
		w.blExpectSub(debtor, "restricted", nil, "")

		restoreAt := blAt(time.February, 20, 0)
		w.advanceTo(restoreAt)
		w.invoiceAction(w.blInvoice(payer, 2).ID, "pay").Expect(http.StatusOK)
		restarted := period{Number: 3, Start: restoreAt, End: restoreAt.AddDate(0, 1, 0)}
		if s := w.blExpectSub(payer, "active", nil, ""); *s.CurrentPeriod != restarted {
			t.Fatalf("restored period = %+v, want %+v", *s.CurrentPeriod, restarted)
		}
		w.advanceTo(blAt(time.March, 13, 0))
		w.blNoInvoice(debtor, 3) // held while period 2 is unpaid
		w.blExpectSub(debtor, "ended", &blMar10, "invoiceUnpaid")
		next := period{Number: 4, Start: restarted.End, End: restarted.End.AddDate(0, 1, 0)}
		inv := w.blInvoice(payer, 4)
		blCheckInvoice(t, inv, "subscriptionRenewal", "finalized", next, &next.Start)
		mustEqualTime(t, "finalizedAt", inv.FinalizedAt, next.Start.AddDate(0, 0, -7))
	})
}

// TestBillingWindowAdvanceNoGrace: "Invoice a few days before renewal and
// provide no grace period at all".
func TestBillingWindowAdvanceNoGrace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7, "invoiceOverdueDays": 0,
			"invoiceOverdueAction": "restrict"})
		plan := w.plan(nil)
		subs := w.blActivate(w.subscribe(plan, w.user(nil), "auto", nil).ID, w.subscribe(plan, w.user(nil), "auto", nil).ID)
		payer, debtor := subs[0].ID, subs[1].ID
		w.advanceTo(blFeb10.Add(-time.Hour))
		w.invoiceAction(w.blInvoice(payer, 2).ID, "pay").Expect(http.StatusOK)
		w.advanceTo(blFeb10)
		if s := w.blExpectSub(payer, "active", nil, ""); s.CurrentPeriod.Number != 2 {
			t.Fatalf("payer's period = %+v, want 2", s.CurrentPeriod)
		}
		w.blExpectSub(debtor, "ended", &blFeb10, "invoiceUnpaid")
		if inv := w.blInvoice(debtor, 2); inv.Status != "voided" {
			t.Fatalf("debtor's invoice = %s, want voided (period never entered)", inv.Status)
		}
	})
}
