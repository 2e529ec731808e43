package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// Delinquency of seed 003 "Managing delinquency" and "Restricting
// delinquent subscriptions" (docs/billing.md §3, §8). Unless a test says
// otherwise: renewal Feb 10, invoice overdue 3 days later on Feb 13.

var (
	blFeb13     = blAt(time.February, 13, 0)
	blRestoreAt = blAt(time.February, 20, 12) // worked timeline T2's payment
)

// blDelinquent is a world with the given delinquency settings and one
// subscription whose Feb 10 renewal invoice is never paid.
func blDelinquent(t *testing.T, db *store.DB, days int, action string) (*world, sub) {
	t.Helper()
	w := billedWorld(t, db, map[string]any{"currency": "USD", "invoiceOverdueDays": days, "invoiceOverdueAction": action})
	return w, w.blSub(nil)
}

// TestBillingDelinquencyOverridesPerSubscription: "You can configure these
// two settings at both Project and Subscription levels" — "you can
// override these settings when creating the subscription".
func TestBillingDelinquencyOverridesPerSubscription(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "invoiceOverdueDays": 3, "invoiceOverdueAction": "end"})
		plan := w.plan(nil)
		for _, tc := range []struct {
			name    string
			billing any
			code    string
		}{
			{"negative days", map[string]any{"invoiceOverdueDays": -1}, "billingInvalid"},
			{"too many days", map[string]any{"invoiceOverdueDays": 29}, "billingInvalid"},
			{"unknown action", map[string]any{"invoiceOverdueAction": "suspend"}, "invalidEnumValue"},
			{"days as text", map[string]any{"invoiceOverdueDays": "3"}, ""},
			{"unknown key", map[string]any{"advanceInvoicingDays": 3}, ""},
		} {
			body := map[string]any{"plan": plan, "user": w.user(nil), "sim": "auto", "billing": tc.billing}
			w.Post(w.P("/subscriptions"), body).ExpectError(http.StatusUnprocessableEntity, "invalid", tc.code)
		}
		if n := len(w.invoices("")); n != 0 {
			t.Fatalf("invoices after refusals = %d, want none", n)
		}

		overrides := func(id string) map[string]any {
			var body struct{ Billing map[string]any }
			w.Get(w.P("/subscriptions/" + id)).Expect(http.StatusOK).Decode(&body)
			return body.Billing
		}
		lenient := w.subscribe(plan, w.user(nil), "auto", map[string]any{"billing": map[string]any{"invoiceOverdueDays": 0, "invoiceOverdueAction": "none"}})
		strict := w.subscribe(plan, w.user(nil), "auto", nil)
		restrict := w.subscribe(plan, w.user(nil), "auto", map[string]any{"billing": map[string]any{"invoiceOverdueAction": "restrict"}})
		for id, want := range map[string]string{
			lenient.ID:  `{"discount":null,"invoiceOverdueDays":0,"invoiceOverdueAction":"none"}`,
			strict.ID:   `{"discount":null,"invoiceOverdueDays":null,"invoiceOverdueAction":null}`,
			restrict.ID: `{"discount":null,"invoiceOverdueDays":null,"invoiceOverdueAction":"restrict"}`,
		} {
			if got, _ := json.Marshal(overrides(id)); !blJSONEqual(t, got, want) {
				t.Fatalf("billing of %s = %s, want %s", id, got, want)
			}
		}
		w.blActivate(lenient.ID, strict.ID, restrict.ID)

		w.advanceTo(blFeb10)
		w.blExpectLog(lenient.ID, blFeb10,
			"Feb 10 00:00 subscription.renewed sub",
			"Feb 10 00:00 invoice.created inv2",
			"Feb 10 00:00 invoice.finalized inv2",
			"Feb 10 00:00 invoice.willBeOverdue inv2",
			"Feb 10 00:00 invoice.overdue inv2")
		w.blExpectSub(lenient.ID, "active", nil, "")
		w.advanceTo(blFeb13)
		w.blExpectSub(lenient.ID, "active", nil, "")
		w.blExpectSub(strict.ID, "ended", &blFeb13, "invoiceUnpaid")
		w.blExpectSub(restrict.ID, "restricted", nil, "")
		w.advanceTo(blMar10)
		w.blExpectSub(lenient.ID, "ended", &blMar10, "invoiceUnpaid")
		w.blExpectSub(restrict.ID, "ended", &blMar10, "invoiceUnpaid")

		// Unbilled projects take no billing settings and show none.
		off := &world{Env: &apitest.Env{T: t, DB: db, Server: w.Server, Project: "unbilled"}, t: t}
		off.Key = off.NewProject("unbilled", projects.TypeTest)
		offPlan := off.plan(nil)
		body := map[string]any{"plan": offPlan, "user": off.user(nil), "sim": "auto", "billing": map[string]any{"invoiceOverdueDays": 1}}
		off.Post(off.P("/subscriptions"), body).ExpectError(http.StatusConflict, "conflict", "billingNotEnabled")
		s := off.subscribe(offPlan, off.user(nil), "auto", nil)
		if raw := off.Get(off.P("/subscriptions/" + s.ID)).Expect(http.StatusOK).JSON(); raw["billing"] != nil {
			t.Fatalf("billing of an unbilled subscription = %v, want null", raw["billing"])
		} else if _, ok := raw["billing"]; !ok {
			t.Fatal("billing missing from an unbilled subscription, want null")
		}
	})
}

// blJSONEqual compares two JSON documents by value.
func blJSONEqual(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestBillingOverdueDays: "Setting this to 0 means the invoice becomes
// overdue immediately at renewal, while a higher value (e.g., 3) provides
// a grace period."
func TestBillingOverdueDays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		days    int
		overdue time.Time
	}{{0, blFeb10}, {3, blFeb13}} {
		t.Run(time.Duration(tc.days*24*int(time.Hour)).String(), func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w, s := blDelinquent(t, db, tc.days, "none")
				w.advanceTo(blMar10.Add(-time.Hour))
				var overdue []time.Time
				for _, e := range w.blLog(blFeb10) {
					if e.Type == "invoice.overdue" {
						overdue = append(overdue, e.Time)
					}
				}
				if len(overdue) != 1 || !overdue[0].Equal(tc.overdue) {
					t.Fatalf("invoice.overdue at %v, want once at %s", overdue, tc.overdue.Format(time.RFC3339))
				}
				w.blExpectSub(s.ID, "active", nil, "")
			})
		})
	}
}

// TestBillingOverdueActionNone: "none: The subscription remains active
// until the next renewal period."
func TestBillingOverdueActionNone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, s := blDelinquent(t, db, 3, "none")
		w.advanceTo(blMar10.Add(-time.Minute))
		if got := w.blExpectSub(s.ID, "active", nil, ""); *got.CurrentPeriod != blMonth(2) {
			t.Fatalf("period = %+v, want %+v", *got.CurrentPeriod, blMonth(2))
		}
		w.advanceTo(blMar10)
		w.blExpectSub(s.ID, "ended", &blMar10, "invoiceUnpaid")
		w.blExpectLog(s.ID, blFeb13,
			"Feb 13 00:00 invoice.overdue inv2",
			"Mar 10 00:00 subscription.ended sub")
	})
}

// TestBillingOverdueActionEnd: "end: The subscription ends immediately.",
// with cause invoiceUnpaid, also when it was already canceled for later
// (docs/billing.md §3 reading 12). The invoice of the period served stays
// payable.
func TestBillingOverdueActionEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "invoiceOverdueDays": 3, "invoiceOverdueAction": "end"})
		plan := w.plan(nil)
		subs := w.blActivate(w.subscribe(plan, w.user(nil), "auto", nil).ID, w.subscribe(plan, w.user(nil), "auto", nil).ID)
		s, canceled := subs[0], subs[1]
		w.advanceTo(blAt(time.February, 11, 0))
		w.action(canceled.ID, "cancel", nil).Expect(http.StatusOK)
		w.advanceTo(blFeb13)
		for _, sub := range subs {
			w.blExpectSub(sub.ID, "ended", &blFeb13, "invoiceUnpaid")
		}
		w.blExpectLog(s.ID, blFeb13,
			"Feb 13 00:00 invoice.overdue inv2",
			"Feb 13 00:00 subscription.ended sub")
		inv := w.blInvoice(s.ID, 2)
		if inv.Status != "finalized" {
			t.Fatalf("invoice after the end = %s, want finalized (payable)", inv.Status)
		}
		w.advanceTo(blAt(time.February, 14, 0))
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		w.blExpectSub(s.ID, "ended", &blFeb13, "invoiceUnpaid")
	})
}

// TestBillingOverdueActionRestrict: "restrict: The subscription's
// connectivity is restricted immediately." Its period runs on.
func TestBillingOverdueActionRestrict(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, s := blDelinquent(t, db, 3, "restrict")
		w.advanceTo(blFeb13.Add(-time.Minute))
		w.blExpectSub(s.ID, "active", nil, "")
		w.advanceTo(blFeb13)
		if got := w.blExpectSub(s.ID, "restricted", nil, ""); *got.CurrentPeriod != blMonth(2) {
			t.Fatalf("restricted period = %+v, want %+v", *got.CurrentPeriod, blMonth(2))
		}
		w.blExpectLog(s.ID, blFeb13,
			"Feb 13 00:00 invoice.overdue inv2",
			"Feb 13 00:00 subscription.restricted sub")
	})
}

// TestBillingEndedAtNextRenewalAtLatest: "subscriptions will be ended
// according to these settings, or at the very latest by the next renewal
// period": a grace longer than the period is cut at the next renewal.
func TestBillingEndedAtNextRenewalAtLatest(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"none", "end", "restrict"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "invoiceOverdueDays": 10, "invoiceOverdueAction": action})
				weekly := w.plan(map[string]any{"validity": map[string]any{"value": 7, "unit": "day", "type": "recurring"}})
				s := w.blActivate(w.subscribe(weekly, w.user(nil), "auto", nil).ID)[0]
				renewal, next := blActivation.AddDate(0, 0, 7), blActivation.AddDate(0, 0, 14)
				w.advanceTo(next.Add(24 * time.Hour))
				w.blExpectSub(s.ID, "ended", &next, "invoiceUnpaid")
				w.blExpectLog(s.ID, renewal,
					"Jan 17 00:00 subscription.renewed sub",
					"Jan 17 00:00 invoice.created inv2",
					"Jan 17 00:00 invoice.finalized inv2",
					"Jan 23 00:00 invoice.willBeOverdue inv2",
					"Jan 24 00:00 invoice.overdue inv2",
					"Jan 24 00:00 subscription.ended sub")
			})
		})
	}
}

// TestBillingWillBeOverdueAndOverdueEvents: "invoice.willBeOverdue event
// emitted 24h before an invoice becomes overdue or the invoice.overdue
// events"; a warning that would come before the invoice exists comes with
// it (docs/billing.md §3 reading 6), and a paid invoice gets neither.
func TestBillingWillBeOverdueAndOverdueEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		days  int
		payAt time.Time // zero: never paid
		want  []string
	}{
		{"3 days", 3, time.Time{}, []string{"Feb 12 00:00 invoice.willBeOverdue inv2", "Feb 13 00:00 invoice.overdue inv2"}},
		{"1 day", 1, time.Time{}, []string{"Feb 10 00:00 invoice.willBeOverdue inv2", "Feb 11 00:00 invoice.overdue inv2"}},
		{"0 days", 0, time.Time{}, []string{"Feb 10 00:00 invoice.willBeOverdue inv2", "Feb 10 00:00 invoice.overdue inv2"}},
		{"paid in grace", 3, blAt(time.February, 11, 23), []string{"Feb 11 23:00 invoice.paid inv2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w, s := blDelinquent(t, db, tc.days, "none")
				if !tc.payAt.IsZero() {
					w.advanceTo(tc.payAt)
					w.invoiceAction(w.blInvoice(s.ID, 2).ID, "pay").Expect(http.StatusOK)
				}
				w.advanceTo(blMar10.Add(-time.Hour))
				want := append([]string{"Feb 10 00:00 invoice.created inv2", "Feb 10 00:00 invoice.finalized inv2"}, tc.want...)
				inv := w.blInvoice(s.ID, 2)
				var got []blEvent
				for _, e := range w.blLog(blFeb10) {
					if e.Subject == inv.ID {
						got = append(got, e)
					}
				}
				if lines := blLines(got, map[string]string{inv.ID: "inv2"}); !slices.Equal(lines, want) {
					t.Fatalf("invoice events:\n  got  %q\n  want %q", lines, want)
				}
			})
		})
	}
}

// TestBillingPayRestoresRestricted: "Once their overdue invoices are paid,
// the subscriptions will automatically be restored and become active
// again. You can subscribe to the subscription.restricted and
// subscription.restored events".
func TestBillingPayRestoresRestricted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, s := blDelinquent(t, db, 3, "restrict")
		w.advanceTo(blRestoreAt)
		w.blExpectSub(s.ID, "restricted", nil, "")
		var paid invoice
		w.invoiceAction(w.blInvoice(s.ID, 2).ID, "pay").Expect(http.StatusOK).Decode(&paid)
		if paid.Status != "paid" {
			t.Fatalf("paid invoice = %s", paid.Status)
		}
		w.blExpectSub(s.ID, "active", nil, "")
		var restriction []blEvent
		for _, e := range w.blLog(blFeb13) {
			if e.Subject == s.ID {
				restriction = append(restriction, e)
			}
		}
		want := []string{"Feb 13 00:00 subscription.restricted sub", "Feb 20 12:00 subscription.restored sub"}
		if got := blLines(restriction, map[string]string{s.ID: "sub"}); !slices.Equal(got, want) {
			t.Fatalf("subscription events = %q, want %q", got, want)
		}
	})
}

// TestBillingRestrictedEndsAtNextRenewal: "a restricted subscription is
// ended automatically at the next renewal if the overdue invoice is still
// not paid".
func TestBillingRestrictedEndsAtNextRenewal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, s := blDelinquent(t, db, 3, "restrict")
		w.advanceTo(blMar10.Add(-time.Minute))
		w.blExpectSub(s.ID, "restricted", nil, "")
		w.advanceTo(blMar10)
		w.blExpectSub(s.ID, "ended", &blMar10, "invoiceUnpaid")
		w.blNoInvoice(s.ID, 3)
		inv := w.blInvoice(s.ID, 2)
		if inv.Status != "finalized" {
			t.Fatalf("overdue invoice after the end = %s, want finalized (payable)", inv.Status)
		}
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		w.blExpectSub(s.ID, "ended", &blMar10, "invoiceUnpaid")
	})
}

// TestBillingEndRestrictedEarly: "You can end the subscription earlier if
// needed."
func TestBillingEndRestrictedEarly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, s := blDelinquent(t, db, 3, "restrict")
		endAt := blAt(time.February, 15, 0)
		w.advanceTo(endAt)
		var ended sub
		w.action(s.ID, "end", nil).Expect(http.StatusOK).Decode(&ended)
		if ended.Status != "ended" {
			t.Fatalf("end = %s, want ended", ended.Status)
		}
		w.advanceTo(blMar10.Add(24 * time.Hour))
		w.blExpectSub(s.ID, "ended", &endAt, "cancellationRequested")
		w.blExpectLog(s.ID, blFeb13,
			"Feb 13 00:00 invoice.overdue inv2",
			"Feb 13 00:00 subscription.restricted sub",
			"Feb 15 00:00 subscription.ended sub")
		if inv := w.blInvoice(s.ID, 2); inv.Status != "finalized" {
			t.Fatalf("invoice of the period served = %s, want finalized", inv.Status)
		}
	})
}

// TestBillingRestorePeriodRestart: "When a restricted subscription is
// restored after paying overdue invoices, a period restart occurs
// automatically", in the seed's five steps.
func TestBillingRestorePeriodRestart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, s := blDelinquent(t, db, 3, "restrict")
		w.advanceTo(blRestoreAt)
		overdue := w.blInvoice(s.ID, 2)
		w.invoiceAction(overdue.ID, "pay").Expect(http.StatusOK)
		got := w.blExpectSub(s.ID, "active", nil, "")
		restarted := period{Number: 3, Start: blRestoreAt, End: blRestoreAt.AddDate(0, 1, 0)}

		// 1. "Current period shortening: The current subscription period
		// ends at the time of restoration."
		if got.CurrentPeriod.Number != 3 || !got.CurrentPeriod.Start.Equal(blRestoreAt) {
			t.Fatalf("period after restore = %+v, want period 2 ended at %s", got.CurrentPeriod, blRestoreAt)
		}
		// 2. "New period creation: A new full period begins immediately".
		if *got.CurrentPeriod != restarted {
			t.Fatalf("new period = %+v, want the full %+v", *got.CurrentPeriod, restarted)
		}
		// 3. "Credit note creation: A credit note is issued for the original
		// paid invoice with creditTo: userBalance."
		notes := w.creditNotes("?invoice=" + overdue.ID)
		if len(notes) != 1 || notes[0].CreditTo != "userBalance" || notes[0].Status != "issued" || notes[0].Total != overdue.TotalP {
			t.Fatalf("credit notes of the paid invoice = %+v, want one full userBalance note", notes)
		}
		// 4. "New invoice creation: A new invoice is created for the fresh
		// period with reason: subscriptionRestore."
		restore := w.blInvoice(s.ID, 3)
		blCheckInvoice(t, restore, "subscriptionRestore", "paid", restarted, nil)
		if restore.TotalP != overdue.TotalP || len(restore.LineItems) != len(overdue.LineItems) || restore.ID == overdue.ID {
			t.Fatalf("restore invoice = %+v, want a copy of %+v", restore, overdue)
		}
		// 5. "Automatic payment: The new invoice is immediately paid using
		// the credit from the previous invoice."
		mustEqualTime(t, "paidAt", restore.PaidAt, blRestoreAt)
		if restore.AppliedBalance == nil || int64(restore.AppliedBalance["amount"].(float64)) != restore.TotalP.Amount {
			t.Fatalf("appliedBalance = %v, want the total %d", restore.AppliedBalance, restore.TotalP.Amount)
		}
		if row, entries := balance(t, db, blUser(s)); row != 0 || entries != 0 {
			t.Fatalf("balance = %d (entries %d), want the credit spent", row, entries)
		}
		w.blExpectLog(s.ID, blRestoreAt,
			"Feb 20 12:00 invoice.paid inv2",
			"Feb 20 12:00 creditNote.created crn",
			"Feb 20 12:00 invoice.created inv3r",
			"Feb 20 12:00 invoice.finalized inv3r",
			"Feb 20 12:00 invoice.paid inv3r",
			"Feb 20 12:00 subscription.restored sub")
	})
}

// TestBillingRestoreMovesAnchor: "when a restricted subscription is
// restored, the renewal anchor shifts to the restore time".
func TestBillingRestoreMovesAnchor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, s := blDelinquent(t, db, 3, "restrict")
		w.advanceTo(blRestoreAt)
		w.invoiceAction(w.blInvoice(s.ID, 2).ID, "pay").Expect(http.StatusOK)
		mar20, apr20 := blRestoreAt.AddDate(0, 1, 0), blRestoreAt.AddDate(0, 2, 0)
		w.advanceTo(mar20)
		inv := w.blInvoice(s.ID, 4)
		next := period{Number: 4, Start: mar20, End: apr20}
		blCheckInvoice(t, inv, "subscriptionRenewal", "finalized", next, &mar20)
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		w.advanceTo(apr20)
		if got := w.blExpectSub(s.ID, "active", nil, ""); *got.CurrentPeriod != (period{Number: 5, Start: apr20, End: apr20.AddDate(0, 1, 0)}) {
			t.Fatalf("period = %+v, want 5 from %s", *got.CurrentPeriod, apr20)
		}
		var renewals []string
		for _, e := range w.blLog(blRestoreAt) {
			if e.Type == "subscription.renewed" {
				renewals = append(renewals, e.Time.Format(time.RFC3339))
			}
		}
		if want := []string{mar20.Format(time.RFC3339), apr20.Format(time.RFC3339)}; !slices.Equal(renewals, want) {
			t.Fatalf("renewals at %v, want %v (none on the old anchor, Mar 10)", renewals, want)
		}
	})
}

// TestBillingWorkedTimelines: the worked timelines T1–T8 of
// docs/billing.md §3 (and their variants), as the events they record.
func TestBillingWorkedTimelines(t *testing.T) {
	t.Parallel()
	at := blAt
	const feb, mar = time.February, time.March
	pay := func(w *world, s sub, n int, when time.Time) {
		w.advanceTo(when)
		w.invoiceAction(w.blInvoice(s.ID, n).ID, "pay").Expect(http.StatusOK)
	}
	for _, tc := range []struct {
		name     string
		settings map[string]any // A, O, action
		run      func(w *world, s sub)
		want     []string
	}{
		{"T1 defaults", map[string]any{}, func(w *world, s sub) {
			pay(w, s, 2, at(feb, 14, 0))
			w.blExpectSub(s.ID, "ended", &blFeb13, "invoiceUnpaid")
		}, []string{
			"Feb 10 00:00 subscription.renewed sub", "Feb 10 00:00 invoice.created inv2", "Feb 10 00:00 invoice.finalized inv2",
			"Feb 12 00:00 invoice.willBeOverdue inv2",
			"Feb 13 00:00 invoice.overdue inv2", "Feb 13 00:00 subscription.ended sub",
			"Feb 14 00:00 invoice.paid inv2",
		}},
		{"T1 paid Feb 12", map[string]any{}, func(w *world, s sub) {
			pay(w, s, 2, at(feb, 12, 0).Add(-time.Minute))
			w.advanceTo(blMar10)
		}, []string{
			"Feb 10 00:00 subscription.renewed sub", "Feb 10 00:00 invoice.created inv2", "Feb 10 00:00 invoice.finalized inv2",
			"Feb 11 23:59 invoice.paid inv2",
			"Mar 10 00:00 subscription.renewed sub", "Mar 10 00:00 invoice.created inv3", "Mar 10 00:00 invoice.finalized inv3",
		}},
		{"T2 restrict paid Feb 20 12:00", map[string]any{"invoiceOverdueAction": "restrict"}, func(w *world, s sub) {
			pay(w, s, 2, blRestoreAt)
			w.advanceTo(blRestoreAt.AddDate(0, 1, 0))
		}, []string{
			"Feb 10 00:00 subscription.renewed sub", "Feb 10 00:00 invoice.created inv2", "Feb 10 00:00 invoice.finalized inv2",
			"Feb 12 00:00 invoice.willBeOverdue inv2",
			"Feb 13 00:00 invoice.overdue inv2", "Feb 13 00:00 subscription.restricted sub",
			"Feb 20 12:00 invoice.paid inv2", "Feb 20 12:00 creditNote.created crn", "Feb 20 12:00 invoice.created inv3r",
			"Feb 20 12:00 invoice.finalized inv3r", "Feb 20 12:00 invoice.paid inv3r", "Feb 20 12:00 subscription.restored sub",
			"Mar 20 12:00 subscription.renewed sub", "Mar 20 12:00 invoice.created inv4", "Mar 20 12:00 invoice.finalized inv4",
		}},
		{"T3 none never paid", map[string]any{"invoiceOverdueAction": "none"}, func(w *world, s sub) {
			w.advanceTo(blMar10.Add(24 * time.Hour))
			w.blExpectSub(s.ID, "ended", &blMar10, "invoiceUnpaid")
			w.blNoInvoice(s.ID, 3)
		}, []string{
			"Feb 10 00:00 subscription.renewed sub", "Feb 10 00:00 invoice.created inv2", "Feb 10 00:00 invoice.finalized inv2",
			"Feb 12 00:00 invoice.willBeOverdue inv2", "Feb 13 00:00 invoice.overdue inv2",
			"Mar 10 00:00 subscription.ended sub",
		}},
		{"T4 advance no grace", map[string]any{"advanceInvoicingDays": 7, "invoiceOverdueDays": 0}, func(w *world, s sub) {
			w.advanceTo(at(feb, 11, 0))
			w.invoiceAction(w.blInvoice(s.ID, 2).ID, "pay").ExpectError(http.StatusConflict, "conflict", "invoiceVoided")
			w.blExpectSub(s.ID, "ended", &blFeb10, "invoiceUnpaid")
		}, []string{
			"Feb 3 00:00 invoice.created inv2", "Feb 3 00:00 invoice.finalized inv2",
			"Feb 9 00:00 invoice.willBeOverdue inv2",
			"Feb 10 00:00 invoice.overdue inv2", "Feb 10 00:00 subscription.ended sub", "Feb 10 00:00 invoice.voided inv2",
		}},
		{"T4 paid Feb 5", map[string]any{"advanceInvoicingDays": 7, "invoiceOverdueDays": 0}, func(w *world, s sub) {
			pay(w, s, 2, at(feb, 5, 0))
			w.advanceTo(at(mar, 3, 0))
		}, []string{
			"Feb 3 00:00 invoice.created inv2", "Feb 3 00:00 invoice.finalized inv2", "Feb 5 00:00 invoice.paid inv2",
			"Feb 10 00:00 subscription.renewed sub",
			"Mar 3 00:00 invoice.created inv3", "Mar 3 00:00 invoice.finalized inv3",
		}},
		{"T5 advance restrict paid Feb 20", map[string]any{"advanceInvoicingDays": 7, "invoiceOverdueAction": "restrict"}, func(w *world, s sub) {
			pay(w, s, 2, at(feb, 20, 0))
			w.advanceTo(at(mar, 13, 0))
		}, []string{
			"Feb 3 00:00 invoice.created inv2", "Feb 3 00:00 invoice.finalized inv2",
			"Feb 10 00:00 subscription.renewed sub",
			"Feb 12 00:00 invoice.willBeOverdue inv2",
			"Feb 13 00:00 invoice.overdue inv2", "Feb 13 00:00 subscription.restricted sub",
			"Feb 20 00:00 invoice.paid inv2", "Feb 20 00:00 creditNote.created crn", "Feb 20 00:00 invoice.created inv3r",
			"Feb 20 00:00 invoice.finalized inv3r", "Feb 20 00:00 invoice.paid inv3r", "Feb 20 00:00 subscription.restored sub",
			"Mar 13 00:00 invoice.created inv4", "Mar 13 00:00 invoice.finalized inv4",
		}},
		{"T6 advance none paid Mar 5", map[string]any{"advanceInvoicingDays": 7, "invoiceOverdueAction": "none"}, func(w *world, s sub) {
			pay(w, s, 2, at(mar, 5, 0))
			w.advanceTo(at(mar, 13, 0))
		}, []string{
			"Feb 3 00:00 invoice.created inv2", "Feb 3 00:00 invoice.finalized inv2",
			"Feb 10 00:00 subscription.renewed sub",
			"Feb 12 00:00 invoice.willBeOverdue inv2", "Feb 13 00:00 invoice.overdue inv2",
			"Mar 5 00:00 invoice.paid inv2", "Mar 5 00:00 invoice.created inv3", "Mar 5 00:00 invoice.finalized inv3",
			"Mar 10 00:00 subscription.renewed sub",
			"Mar 12 00:00 invoice.willBeOverdue inv3", "Mar 13 00:00 invoice.overdue inv3",
		}},
		{"T7 cancel and resume", map[string]any{"advanceInvoicingDays": 7}, func(w *world, s sub) {
			w.advanceTo(at(feb, 5, 0))
			w.action(s.ID, "cancel", nil).Expect(http.StatusOK)
			w.advanceTo(at(feb, 6, 0))
			w.action(s.ID, "resume", nil).Expect(http.StatusOK)
			w.advanceTo(blFeb10)
		}, []string{
			"Feb 3 00:00 invoice.created inv2", "Feb 3 00:00 invoice.finalized inv2",
			"Feb 5 00:00 subscription.canceled sub", "Feb 5 00:00 invoice.voided inv2",
			"Feb 6 00:00 subscription.resumed sub", "Feb 6 00:00 invoice.created inv2'", "Feb 6 00:00 invoice.finalized inv2'",
			"Feb 10 00:00 subscription.renewed sub",
		}},
		{"T7 paid, cancel and resume", map[string]any{"advanceInvoicingDays": 7}, func(w *world, s sub) {
			pay(w, s, 2, at(feb, 4, 0))
			w.advanceTo(at(feb, 5, 0))
			w.action(s.ID, "cancel", nil).Expect(http.StatusOK)
			w.advanceTo(at(feb, 6, 0))
			w.action(s.ID, "resume", nil).Expect(http.StatusOK)
		}, []string{
			"Feb 3 00:00 invoice.created inv2", "Feb 3 00:00 invoice.finalized inv2", "Feb 4 00:00 invoice.paid inv2",
			"Feb 5 00:00 subscription.canceled sub", "Feb 5 00:00 creditNote.created crn",
			"Feb 6 00:00 subscription.resumed sub", "Feb 6 00:00 creditNote.voided crn",
		}},
		{"T7 cancel after the cutoff", map[string]any{"advanceInvoicingDays": 7}, func(w *world, s sub) {
			pay(w, s, 2, at(feb, 4, 0))
			w.advanceTo(blFeb10.Add(-30 * time.Minute))
			w.action(s.ID, "cancel", nil).Expect(http.StatusOK)
			w.advanceTo(blMar10)
			w.blExpectSub(s.ID, "ended", &blMar10, "cancellationRequested")
		}, []string{
			"Feb 3 00:00 invoice.created inv2", "Feb 3 00:00 invoice.finalized inv2", "Feb 4 00:00 invoice.paid inv2",
			"Feb 9 23:30 subscription.canceled sub",
			"Feb 10 00:00 subscription.renewed sub",
			"Mar 10 00:00 subscription.ended sub",
		}},
		{"T8 no grace end", map[string]any{"invoiceOverdueDays": 0}, func(w *world, s sub) {
			w.advanceTo(blFeb10.Add(time.Hour))
			w.invoiceAction(w.blInvoice(s.ID, 2).ID, "pay").ExpectError(http.StatusConflict, "conflict", "invoiceVoided")
			w.blExpectSub(s.ID, "ended", &blFeb10, "invoiceUnpaid")
		}, []string{
			"Feb 10 00:00 subscription.renewed sub", "Feb 10 00:00 invoice.created inv2", "Feb 10 00:00 invoice.finalized inv2",
			"Feb 10 00:00 invoice.willBeOverdue inv2", "Feb 10 00:00 invoice.overdue inv2",
			"Feb 10 00:00 subscription.ended sub", "Feb 10 00:00 invoice.voided inv2",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				settings := map[string]any{"currency": "USD"}
				for k, v := range tc.settings {
					settings[k] = v
				}
				w := billedWorld(t, db, settings)
				s := w.blSub(nil)
				tc.run(w, s)
				w.blExpectLog(s.ID, blActivation.Add(time.Second), tc.want...)
			})
		})
	}
}
