package api_test

// Scenario tests for the seed 003 statements of docs/billing.md §11 that
// no other file covers under their own name. Each proves its sentence
// through the HTTP API, on both engines.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// s3Tables is every table cellgate writes: a refusal or a quote must be
// seen to leave all of them alone, not only the foundation's.
var s3Tables = []string{
	"projects", "api_keys", "idempotency_keys", "users", "user_addresses", "plans", "subscriptions", "events",
	"sims", "phone_numbers", "number_sequences", "timeline", "webhook_endpoints", "webhook_deliveries",
	"webhook_attempts", "quotes", "invoices", "credit_notes", "user_balances", "balance_entries",
}

func s3Snapshot(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	s := map[string]string{}
	for _, table := range s3Tables {
		n, sum := tableChecksum(t, db, table)
		s[table] = fmt.Sprintf("rows=%d sha256=%x", n, sum)
	}
	return s
}

// s3Changed lists the tables whose contents differ between two snapshots.
func s3Changed(before, after map[string]string) []string {
	var out []string
	for _, table := range s3Tables {
		if before[table] != after[table] {
			out = append(out, table)
		}
	}
	return out
}

// s3CAAddress gives a user a California address, so invoices and quotes
// carry state taxes and telecom fees.
func (w *world) s3CAAddress(user string) string {
	w.t.Helper()
	return w.Post(w.P("/users/"+user+"/addresses"), map[string]any{"line1": "1 Market Street", "city": "San Francisco",
		"state": "CA", "postalCode": "94105", "country": "US"}).Expect(http.StatusCreated).ID()
}

// TestBillingConfiguredOnProject: "Billing is configured at the time your
// project is created. Once enabled, creating a new subscription will
// automatically generate an invoice."
func TestBillingConfiguredOnProject(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		if got, ok := w.Get(w.P("")).Expect(http.StatusOK).JSON()["billing"]; !ok || got != nil {
			t.Fatalf("new project billing = %v (present %v), want null", got, ok)
		}
		plan, user := w.plan(nil), w.user(nil)
		before := w.subscribe(plan, user, "auto", nil)
		if before.Status != "pending" || len(w.invoices("")) != 0 {
			t.Fatalf("Billing off: subscription %s, %d invoices; want pending and none", before.Status, len(w.invoices("")))
		}
		w.Post(w.P("/quotes"), map[string]any{"plan": plan, "user": user}).ExpectError(http.StatusConflict, "conflict", "billingNotEnabled")
		w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": w.user(nil), "sim": "auto",
			"billing": map[string]any{"invoiceOverdueDays": 5}}).ExpectError(http.StatusConflict, "conflict", "billingNotEnabled")

		defaults := map[string]any{"currency": "USD", "advanceInvoicingDays": 0, "invoiceOverdueDays": 3,
			"invoiceOverdueAction": "end", "paymentBehavior": "manual", "taxBehavior": "exclusive", "recoveryFeePercentage": 0, "prorationBehavior": "none"}
		got := w.Patch(w.P(""), `{"billing":{}}`).Expect(http.StatusOK).JSON()
		fxSameJSON(t, "billing after PATCH", got["billing"], defaults)
		fxSameJSON(t, "billing on GET", w.Get(w.P("")).Expect(http.StatusOK).JSON()["billing"], defaults)

		after := w.subscribe(plan, w.user(nil), "auto", nil)
		if after.Status != "initiated" {
			t.Fatalf("Billing on: subscription %s, want initiated", after.Status)
		}
		if inv := w.firstInvoice(after.ID); inv.Status != "finalized" || inv.TotalP != (money{1000, "USD"}) {
			t.Fatalf("first invoice = %+v", inv)
		}
		fxSameJSON(t, "billed subscription billing", w.Get(w.P("/subscriptions/" + after.ID)).Expect(http.StatusOK).JSON()["billing"],
			map[string]any{"discount": nil, "invoiceOverdueDays": nil, "invoiceOverdueAction": nil})
		// Whether a subscription is billed was fixed when it was created.
		if got := w.Get(w.P("/subscriptions/" + before.ID)).Expect(http.StatusOK).JSON()["billing"]; got != nil {
			t.Fatalf("subscription created with Billing off shows billing %v, want null", got)
		}
		if n := len(w.invoices("?subscription=" + before.ID)); n != 0 {
			t.Fatalf("subscription created with Billing off has %d invoices", n)
		}
	})
}

// TestBillingFirstInvoiceMustBePaidToActivate: "For new subscriptions, the
// invoice must be paid to activate the subscription". Hours of clock,
// well past the provider's activation delay, do not activate it; paying
// does.
func TestBillingFirstInvoiceMustBePaidToActivate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		for _, at := range []time.Duration{time.Hour, 3 * time.Hour, 24 * time.Hour} {
			w.advanceTo(worldStart.Add(at))
			if got := w.sub(s.ID); got.Status != "initiated" || got.ActivatedAt != nil || got.CurrentPeriod != nil {
				t.Fatalf("unpaid after %v = %+v, want initiated", at, got)
			}
		}
		if evs := types(w.eventsOf(s.ID)); slices.Contains(evs, "com.gigs.subscription.activated") {
			t.Fatalf("unpaid subscription events = %v", evs)
		}
		paidAt := w.now()
		w.invoiceAction(w.firstInvoice(s.ID).ID, "pay").Expect(http.StatusOK)
		if got := w.sub(s.ID); got.Status != "pending" {
			t.Fatalf("right after pay = %s, want pending", got.Status)
		}
		w.advance(3 * time.Hour)
		got := w.sub(s.ID)
		if got.Status != "active" || got.CurrentPeriod == nil || got.CurrentPeriod.Number != 1 {
			t.Fatalf("after pay and the activation delay = %+v, want active in period 1", got)
		}
		mustEqualTime(t, "activatedAt", got.ActivatedAt, paidAt.Add(2*time.Minute))
	})
}

// TestBillingFirstInvoiceSynchronous: "The first invoice is always created
// synchronously and you can assume it is available after receiving a
// successful response from the subscriptions endpoint."
func TestBillingFirstInvoiceSynchronous(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan := w.plan(nil)
		for i := 0; i < 3; i++ {
			created := w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": w.user(nil), "sim": "auto"}).
				Expect(http.StatusCreated).JSON()
			id := created["id"].(string)
			// No clock advance in between: no timer can have made it.
			items := w.invoices("?subscription=" + id)
			if len(items) != 1 {
				t.Fatalf("invoices right after creating %s = %d, want 1", id, len(items))
			}
			inv := items[0]
			if inv.Status != "finalized" || inv.Reason != "subscriptionCreation" || inv.Subscription != id {
				t.Fatalf("invoice right after creation = %+v", inv)
			}
			createdAt, err := time.Parse(time.RFC3339, created["createdAt"].(string))
			if err != nil {
				t.Fatal(err)
			}
			mustEqualTime(t, "finalizedAt", inv.FinalizedAt, createdAt)
			w.Get(w.P("/invoices/" + inv.ID)).Expect(http.StatusOK)
			want := []string{"com.gigs.invoice.created", "com.gigs.invoice.finalized"}
			if evs := types(w.eventsOf(inv.ID)); !slices.Equal(evs, want) {
				t.Fatalf("invoice events = %v, want %v", evs, want)
			}
		}
		if now := w.now(); !now.Equal(worldStart) {
			t.Fatalf("clock moved to %s", now)
		}
	})
}

// TestBillingFindFirstInvoiceByFilters: "Subscriptions don't contain
// references to their invoices, but you can easily find them by listing
// invoices filtered by subscription. To find the first invoice for a
// subscription, you can also filter by reason using the value
// subscriptionCreation." The seed's list URL, verbatim.
func TestBillingFindFirstInvoiceByFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan, jerry, elaine := w.plan(nil), w.user(nil), w.user(nil)
		s1 := w.subscribe(plan, jerry, "auto", nil)
		s2 := w.subscribe(plan, elaine, "auto", nil)
		s3 := w.subscribe(plan, jerry, "auto", nil)
		all := w.invoices("?subscription=" + s1.ID)
		if len(all) != 1 {
			t.Fatalf("invoices of %s = %d, want 1", s1.ID, len(all))
		}
		first := all[0]
		// s1 is paid and renews, so it also has a renewal invoice.
		w.invoiceAction(first.ID, "pay").Expect(http.StatusOK)
		w.advanceTo(worldStart.AddDate(0, 1, 0).Add(time.Hour))
		if got := w.invoices("?subscription=" + s1.ID); len(got) != 2 || got[0].Reason != "subscriptionRenewal" || got[1].ID != first.ID {
			t.Fatalf("invoices of %s after renewal = %+v, want renewal then creation", s1.ID, got)
		}

		for key := range w.Get(w.P("/subscriptions/" + s1.ID)).Expect(http.StatusOK).JSON() {
			if strings.Contains(strings.ToLower(key), "invoice") {
				t.Fatalf("subscription has an invoice reference %q", key)
			}
		}
		var page struct{ Items []invoice }
		w.Get("/projects/" + w.Project + "/invoices?subscription=" + s1.ID + "&reason=subscriptionCreation").
			Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != first.ID || page.Items[0].Reason != "subscriptionCreation" {
			t.Fatalf("seed list = %+v, want only %s", page.Items, first.ID)
		}
		for _, s := range []sub{s2, s3} {
			got := w.invoices("?subscription=" + s.ID + "&reason=subscriptionCreation")
			if len(got) != 1 || got[0].Subscription != s.ID || got[0].ID == first.ID {
				t.Fatalf("first invoice of %s = %+v", s.ID, got)
			}
		}
		var subs []string
		for _, inv := range w.invoices("?reason=subscriptionCreation") {
			subs = append(subs, inv.Subscription)
		}
		// Created at one clock instant: compare as sets.
		want := []string{s1.ID, s2.ID, s3.ID}
		slices.Sort(subs)
		slices.Sort(want)
		if !slices.Equal(subs, want) {
			t.Fatalf("creation invoices belong to %v, want %v", subs, want)
		}
	})
}

// TestBillingFinalizedEventThenPay: "You can subscribe to the
// invoice.finalized event to trigger payment processing with your payment
// provider and notify us upon completion."
func TestBillingFinalizedEventThenPay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		finalized := fxEvents(t, w.Env, "type=invoice.finalized")
		if len(finalized) != 1 || finalized[0]["time"] != worldStart.Format(time.RFC3339) {
			t.Fatalf("invoice.finalized events = %v, want one at %s", finalized, worldStart.Format(time.RFC3339))
		}
		data := finalized[0]["data"].(map[string]any)
		id, _ := data["id"].(string)
		if data["object"] != "invoice" || data["status"] != "finalized" || data["subscription"] != s.ID {
			t.Fatalf("invoice.finalized data = %v", data)
		}
		fxSameJSON(t, "invoice.finalized data", data, w.Get(w.P("/invoices/"+id)).Expect(http.StatusOK).Body)

		// The payment provider takes half an hour; then we are notified.
		w.advance(30 * time.Minute)
		paid := w.invoiceAction(id, "pay").Expect(http.StatusOK).JSON()
		evs := fxEvents(t, w.Env, "type=invoice.paid")
		if len(evs) != 1 || evs[0]["time"] != worldStart.Add(30*time.Minute).Format(time.RFC3339) {
			t.Fatalf("invoice.paid events = %v", evs)
		}
		if got := evs[0]["data"].(map[string]any); got["id"] != id || got["status"] != "paid" {
			t.Fatalf("invoice.paid data = %v", got)
		}
		fxSameJSON(t, "invoice.paid data", evs[0]["data"], paid)
	})
}

// TestBillingInvoiceStatusTransitions: the seed's invoice status table.
// finalized: "Change its status to paid."; paid and voided: "No further
// action." Each refusal changes nothing.
func TestBillingInvoiceStatusTransitions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan := w.plan(nil)
		// invoiceIn is the first invoice of a new subscription, brought to status.
		invoiceIn := func(status string) invoice {
			s := w.subscribe(plan, w.user(nil), "auto", nil)
			inv := w.firstInvoice(s.ID)
			switch status {
			case "paid":
				w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
			case "voided":
				w.endNow(s.ID)
			}
			if inv = w.firstInvoice(s.ID); inv.Status != status {
				t.Fatalf("setup: invoice is %s, want %s", inv.Status, status)
			}
			return inv
		}
		for _, tc := range []struct {
			from, action string
			status       int
			code, to     string
		}{
			{"finalized", "pay", http.StatusOK, "", "paid"},
			{"finalized", "void", http.StatusConflict, "invoiceVoidNotAllowed", "finalized"},
			{"paid", "pay", http.StatusConflict, "invoiceAlreadyPaid", "paid"},
			{"paid", "void", http.StatusConflict, "invoiceAlreadyPaid", "paid"},
			{"voided", "pay", http.StatusConflict, "invoiceVoided", "voided"},
			{"voided", "void", http.StatusConflict, "invoiceAlreadyVoided", "voided"},
		} {
			name := tc.from + " → " + tc.action
			inv := invoiceIn(tc.from)
			beforeBody := w.Get(w.P("/invoices/" + inv.ID)).Expect(http.StatusOK).Body
			before := s3Snapshot(t, db)
			r := w.invoiceAction(inv.ID, tc.action)
			if tc.status == http.StatusOK {
				var got invoice
				r.Expect(http.StatusOK).Decode(&got)
				if got.Status != tc.to || got.ID != inv.ID {
					t.Errorf("%s = %+v, want %s", name, got, tc.to)
				}
				continue
			}
			r.ExpectError(tc.status, "conflict", tc.code)
			if changed := s3Changed(before, s3Snapshot(t, db)); len(changed) > 0 {
				t.Errorf("%s refused but changed %v", name, changed)
			}
			fxSameJSON(t, name+": invoice after the refusal", w.Get(w.P("/invoices/"+inv.ID)).Expect(http.StatusOK).Body, beforeBody)
		}
		if n := len(w.invoices("?status=draft")); n != 0 {
			t.Fatalf("%d draft invoices visible, want none", n)
		}
	})
}

// TestBillingUnpaidFirstInvoiceInitiatedUntilEnded: "For new subscriptions,
// not marking the first invoice as paid results in the subscription
// remaining in the initiated status indefinitely, or until it is
// explicitly ended."
func TestBillingUnpaidFirstInvoiceInitiatedUntilEnded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "invoiceOverdueDays": 0})
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		inv := w.firstInvoice(s.ID)
		for _, days := range []int{1, 7, 31, 60} {
			w.advanceTo(worldStart.AddDate(0, 0, days))
			if got := w.sub(s.ID); got.Status != "initiated" || got.EndedAt != nil {
				t.Fatalf("after %d days = %+v, want initiated", days, got)
			}
			if got := w.firstInvoice(s.ID); got.Status != "finalized" {
				t.Fatalf("invoice after %d days = %s, want finalized", days, got.Status)
			}
		}
		// A creation invoice has no due date: no delinquency events.
		want := []string{"com.gigs.invoice.created", "com.gigs.invoice.finalized"}
		if evs := types(w.eventsOf(inv.ID)); !slices.Equal(evs, want) {
			t.Fatalf("invoice events after 60 days = %v, want %v", evs, want)
		}

		endedAt := w.now()
		ended := w.endNow(s.ID)
		if ended.Status != "ended" {
			t.Fatalf("end = %+v", ended)
		}
		mustEqualTime(t, "endedAt", ended.EndedAt, endedAt)
		got := w.firstInvoice(s.ID)
		if got.Status != "voided" {
			t.Fatalf("invoice after end = %+v, want voided", got)
		}
		mustEqualTime(t, "voidedAt", got.VoidedAt, endedAt)
		if evs := types(w.eventsOf(inv.ID)); !slices.Equal(evs, append(want, "com.gigs.invoice.voided")) {
			t.Fatalf("invoice events after end = %v", evs)
		}
	})
}

// TestBillingZeroAmountDueAutoPaid: "If the amount due on an invoice is
// zero (for example, because of a full discount or a free plan), the
// invoice automatically transitions to paid as well." A free plan, and a
// user balance covering the whole total.
func TestBillingZeroAmountDueAutoPaid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		price   int64
		balance bool // the user first gets a full userBalance credit
	}{{"free plan", 0, false}, {"balance covers the total", 1000, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD"})
				plan := w.plan(map[string]any{"price": map[string]any{"amount": tc.price, "currency": "USD"}})
				user := w.user(nil)
				if tc.balance {
					earlier := w.firstInvoice(w.subscribe(plan, user, "auto", nil).ID)
					w.invoiceAction(earlier.ID, "pay").Expect(http.StatusOK)
					w.credit(map[string]any{"invoice": earlier.ID, "creditTo": "userBalance"})
				}
				s := w.subscribe(plan, user, "auto", nil)
				if s.Status != "pending" {
					t.Fatalf("status at creation = %s, want pending", s.Status)
				}
				inv := w.firstInvoice(s.ID)
				if inv.Status != "paid" || inv.TotalP.Amount != tc.price {
					t.Fatalf("invoice = %+v, want paid at %d", inv, tc.price)
				}
				mustEqualTime(t, "paidAt", inv.PaidAt, worldStart)
				if tc.balance {
					if inv.AppliedBalance == nil || int64(inv.AppliedBalance["amount"].(float64)) != tc.price {
						t.Fatalf("appliedBalance = %v, want %d", inv.AppliedBalance, tc.price)
					}
					if row, entries := balance(t, db, user); row != 0 || entries != 0 {
						t.Fatalf("balance = %d (entries %d), want spent", row, entries)
					}
				}
				w.expectPaidAtCreation(s.ID, inv.ID)
			})
		})
	}
}

// TestBillingQuoteIncludesTaxesAndFees: "Quotes represent the amount a user
// will likely pay for a subscription period, including any taxes and fees."
func TestBillingQuoteIncludesTaxesAndFees(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newQuoteFx(t, db, map[string]any{"recoveryFeePercentage": 3}, 1000)
		var q quoteView
		f.e.Post(f.e.P("/quotes"), map[string]any{"plan": f.plan, "user": f.user, "address": f.addr}).
			Expect(http.StatusCreated).Decode(&q)
		subtotal, tax, fees, total := checkQuote(t, q, f.user, f.plan)
		if subtotal != 1000 || tax <= 0 || fees <= 0 || total != subtotal+tax+fees {
			t.Fatalf("subtotal %d tax %d fees %d total %d; want 1000 plus taxes and fees", subtotal, tax, fees, total)
		}
		for _, x := range q.LineItems[0].Taxes {
			if x.Amount <= 0 || x.Name == "" || x.Type == "" {
				t.Fatalf("tax %+v is not itemized", x)
			}
		}
		if len(q.Fees) != 1 || q.Fees[0]["type"] != "recoveryFee" {
			t.Fatalf("fees = %v, want the recovery fee", q.Fees)
		}
	})
}

// TestBillingQuoteChangesNothing: "Before creating a subscription, you can
// create a Quote to preview the total cost of a plan ... This way you
// don't have to create a subscription to see the final price on the
// invoice." The quote's total is the later invoice's; only quotes grows.
func TestBillingQuoteChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "recoveryFeePercentage": 3})
		user := w.user(nil)
		addr := w.s3CAAddress(user)
		plan := w.plan(nil)

		before := s3Snapshot(t, db)
		quotesBefore, _ := tableChecksum(t, db, "quotes")
		var q quoteView
		w.Post(w.P("/quotes"), map[string]any{"plan": plan, "user": user, "address": addr}).Expect(http.StatusCreated).Decode(&q)
		if changed := s3Changed(before, s3Snapshot(t, db)); !slices.Equal(changed, []string{"quotes"}) {
			t.Fatalf("a quote changed %v, want only quotes", changed)
		}
		if n, _ := tableChecksum(t, db, "quotes"); n != quotesBefore+1 {
			t.Fatalf("quotes rows = %d, want %d", n, quotesBefore+1)
		}
		subtotal, tax, fees, total := checkQuote(t, q, user, plan)
		if tax == 0 || fees == 0 {
			t.Fatalf("quote without taxes or fees: %+v", q)
		}

		inv := w.firstInvoice(w.subscribe(plan, user, "auto", map[string]any{"userAddress": addr}).ID)
		var invFees int64
		for _, x := range inv.Fees {
			invFees += x.Amount
		}
		if inv.TotalP.Amount != total || inv.SubtotalP.Amount != subtotal || inv.TaxP.Amount != tax || invFees != fees {
			t.Fatalf("invoice %+v; quote subtotal %d tax %d fees %d total %d", inv, subtotal, tax, fees, total)
		}
	})
}

// TestBillingQuoteAddressRequired: "Depending on plan configuration in your
// project, you may be required to provide user's address to calculate the
// taxes. Consult the address field in requirements property of the plan
// resource."
func TestBillingQuoteAddressRequired(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		user := w.user(nil)
		addr := w.s3CAAddress(user)
		required := w.plan(map[string]any{"requirements": map[string]any{"address": "present"}})
		open := w.plan(nil)
		reqOf := func(plan string) any {
			return w.Get(w.P("/plans/" + plan)).Expect(http.StatusOK).JSON()["requirements"].(map[string]any)["address"]
		}
		if reqOf(required) != "present" || reqOf(open) != "none" {
			t.Fatalf("requirements.address = %v / %v, want present / none", reqOf(required), reqOf(open))
		}

		before := s3Snapshot(t, db)
		w.Post(w.P("/quotes"), map[string]any{"plan": required, "user": user}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "userAddressRequired")
		if changed := s3Changed(before, s3Snapshot(t, db)); len(changed) > 0 {
			t.Fatalf("a refused quote changed %v", changed)
		}
		var q quoteView
		w.Post(w.P("/quotes"), map[string]any{"plan": required, "user": user, "address": addr}).Expect(http.StatusCreated).Decode(&q)
		if q.Address == nil || *q.Address != addr {
			t.Fatalf("quote address = %v, want %s", q.Address, addr)
		}
		// A plan that does not ask for one is quoted without it.
		w.Post(w.P("/quotes"), map[string]any{"plan": open, "user": user}).Expect(http.StatusCreated).Decode(&q)
		if q.Address != nil {
			t.Fatalf("quote address = %v, want null", *q.Address)
		}
	})
}

// TestSeed003QuoteRequest: the seed's "Creating a Quote for a plan" body,
// verbatim but for the ids.
func TestSeed003QuoteRequest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newQuoteFx(t, db, map[string]any{}, 1000)
		body := fmt.Sprintf(`{
    "plan": %q,
    "user": %q,
    "address": %q
  }`, f.plan, f.user, f.addr)
		var q quoteView
		f.e.Post(f.e.P("/quotes"), body).Expect(http.StatusCreated).Decode(&q)
		checkQuote(t, q, f.user, f.plan)
		if q.Address == nil || *q.Address != f.addr {
			t.Fatalf("quote address = %v, want %s", q.Address, f.addr)
		}
	})
}

// TestSeed003CreateSubscriptionRequest: the seed's "Creating a
// subscription" body, verbatim but for the ids, on a billed project.
func TestSeed003CreateSubscriptionRequest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan, user := w.plan(nil), w.user(nil)
		body := fmt.Sprintf(`{
    "plan": %q,
    "sim": "auto",
    "user": %q
  }`, plan, user)
		got := w.Post(w.P("/subscriptions"), body).Expect(http.StatusCreated).JSON()
		if got["object"] != "subscription" || got["status"] != "initiated" {
			t.Fatalf("subscription = %v, want initiated", got)
		}
		if p := got["plan"].(map[string]any); p["id"] != plan {
			t.Fatalf("plan = %v, want %s", p["id"], plan)
		}
		if u := got["user"].(map[string]any); u["id"] != user {
			t.Fatalf("user = %v, want %s", u["id"], user)
		}
		fxSameJSON(t, "billing", got["billing"], map[string]any{"discount": nil, "invoiceOverdueDays": nil, "invoiceOverdueAction": nil})
		if inv := w.firstInvoice(got["id"].(string)); inv.User != user || inv.Status != "finalized" {
			t.Fatalf("first invoice = %+v", inv)
		}
	})
}

// TestSeed003PayRequest: the seed's "Marking an invoice as paid" request:
// POST with Accept and no body.
func TestSeed003PayRequest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		inv := w.firstInvoice(s.ID)
		w.advance(time.Hour)
		var paid invoice
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK).Decode(&paid)
		if paid.Object != "invoice" || paid.ID != inv.ID || paid.Status != "paid" || paid.TotalP != inv.TotalP {
			t.Fatalf("pay = %+v", paid)
		}
		mustEqualTime(t, "paidAt", paid.PaidAt, worldStart.Add(time.Hour))
		if got := w.sub(s.ID); got.Status != "pending" {
			t.Fatalf("subscription after pay = %s, want pending", got.Status)
		}
	})
}
