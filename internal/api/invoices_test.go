package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// invoice is an invoice as the API returns it.
type invoice struct {
	Object             string         `json:"object"`
	ID                 string         `json:"id"`
	Address            *string        `json:"address"`
	AppliedBalance     map[string]any `json:"appliedBalance"`
	DiscountP          money          `json:"discount"`
	SubtotalP          money          `json:"subtotal"`
	TaxP               money          `json:"tax"`
	TotalP             money          `json:"total"`
	DueAt              *time.Time     `json:"dueAt"`
	FinalizedAt        *time.Time     `json:"finalizedAt"`
	PaidAt             *time.Time     `json:"paidAt"`
	VoidedAt           *time.Time     `json:"voidedAt"`
	Period             map[string]any `json:"period"`
	Reason             string         `json:"reason"`
	Status             string         `json:"status"`
	Subscription       string         `json:"subscription"`
	User               string         `json:"user"`
	TaxExemptionReason *string        `json:"taxExemptionReason"`
	Fees               []struct {
		Amount int64  `json:"amount"`
		Type   string `json:"type"`
	} `json:"fees"`
	LineItems []struct {
		ID                           string `json:"id"`
		Plan                         string `json:"plan"`
		Amount, Discount, Tax, Total int64
		Taxes                        []struct {
			ID     string `json:"id"`
			Amount int64  `json:"amount"`
		} `json:"taxes"`
	} `json:"lineItems"`
}

type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// billedWorld is a world whose project bills with the given settings.
func billedWorld(t testing.TB, db *store.DB, settings map[string]any) *world {
	w := newWorld(t, db)
	w.Patch(w.P(""), map[string]any{"billing": settings}).Expect(http.StatusOK)
	return w
}

func (w *world) invoices(query string) []invoice {
	w.t.Helper()
	var page struct{ Items []invoice }
	w.Get(w.P("/invoices" + query)).Expect(http.StatusOK).Decode(&page)
	return page.Items
}

// firstInvoice finds a subscription's first invoice the way seed 003 does.
func (w *world) firstInvoice(subID string) invoice {
	w.t.Helper()
	items := w.invoices("?subscription=" + subID + "&reason=subscriptionCreation")
	if len(items) != 1 {
		w.t.Fatalf("first invoices of %s = %d, want 1", subID, len(items))
	}
	return items[0]
}

func (w *world) invoiceAction(id, action string) *apitest.Response {
	return w.Do(apitest.Request{Method: http.MethodPost, Path: w.P("/invoices/" + id + "/" + action)})
}

// expectPaidAtCreation asserts that a first invoice was paid as it was
// finalized, and that its subscription then activates.
func (w *world) expectPaidAtCreation(subID, invoiceID string) {
	w.t.Helper()
	want := []string{"com.gigs.invoice.created", "com.gigs.invoice.finalized", "com.gigs.invoice.paid"}
	if evs := types(w.eventsOf(invoiceID)); !slices.Equal(evs, want) {
		w.t.Fatalf("invoice events = %v, want %v", evs, want)
	}
	w.advance(time.Hour)
	if got := w.sub(subID); got.Status != "active" {
		w.t.Fatalf("after the activation delay = %s, want active", got.Status)
	}
}

// checkTotals asserts the sum identities of docs/billing.md §4.
func checkTotals(t testing.TB, inv invoice) {
	t.Helper()
	var sub, disc, tax, fees int64
	for _, l := range inv.LineItems {
		var lt int64
		for _, x := range l.Taxes {
			lt += x.Amount
			if len(x.ID) < 4 || x.ID[:4] != "itx_" {
				t.Fatalf("tax id %q", x.ID)
			}
		}
		if l.Tax != lt || l.Total != l.Amount-l.Discount+l.Tax || l.ID[:4] != "lin_" {
			t.Fatalf("line %+v breaks total = amount − discount + tax", l)
		}
		sub, disc, tax = sub+l.Amount, disc+l.Discount, tax+l.Tax
	}
	for _, f := range inv.Fees {
		fees += f.Amount
	}
	if inv.SubtotalP.Amount != sub || inv.DiscountP.Amount != disc || inv.TaxP.Amount != tax ||
		inv.TotalP.Amount != sub-disc+tax+fees {
		t.Fatalf("invoice %+v breaks total = subtotal − discount + tax + fees", inv)
	}
}

// TestBillingSubscriptionInitiatedUntilPaid: "creating a new subscription
// will automatically generate an invoice. The subscription will remain in
// the initiated status until the invoice is paid."
func TestBillingSubscriptionInitiatedUntilPaid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan, user, other := w.plan(nil), w.user(nil), w.user(nil)
		// The seed's create-subscription body, verbatim.
		s := w.subscribe(plan, user, "auto", nil)
		o := w.subscribe(plan, other, "auto", nil)
		if s.Status != "initiated" || s.ActivatedAt != nil {
			t.Fatalf("billed subscription = %+v, want initiated", s)
		}
		inv := w.firstInvoice(s.ID)
		if inv.Object != "invoice" || inv.Status != "finalized" || inv.Subscription != s.ID || inv.User != user ||
			inv.Period != nil || inv.DueAt != nil || inv.PaidAt != nil || inv.TotalP != (money{1000, "USD"}) {
			t.Fatalf("first invoice = %+v", inv)
		}
		mustEqualTime(t, "finalizedAt", inv.FinalizedAt, worldStart)
		checkTotals(t, inv)
		if n := len(w.invoices("?subscription=" + s.ID + "&reason=subscriptionRenewal")); n != 0 {
			t.Fatalf("renewal invoices = %d, want 0", n)
		}
		if got := w.invoices("?user=" + other + "&status=finalized"); len(got) != 1 || got[0].Subscription != o.ID {
			t.Fatalf("invoices of %s = %+v", other, got)
		}
		// Keyset pagination, newest first: o's invoice, then s's.
		var page struct {
			Items          []invoice
			MoreItemsAfter *string
		}
		w.Get(w.P("/invoices?limit=1")).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].Subscription != o.ID || page.MoreItemsAfter == nil {
			t.Fatalf("first page = %+v", page)
		}
		if got := w.invoices("?limit=1&after=" + *page.MoreItemsAfter); len(got) != 1 || got[0].ID != inv.ID {
			t.Fatalf("second page = %+v, want %s", got, inv.ID)
		}
		if want := []string{"com.gigs.invoice.created", "com.gigs.invoice.finalized"}; !slices.Equal(types(w.eventsOf(inv.ID)), want) {
			t.Fatalf("invoice events = %v, want %v", types(w.eventsOf(inv.ID)), want)
		}
		w.advance(40 * 24 * time.Hour)
		if got := w.sub(s.ID); got.Status != "initiated" || got.ActivatedAt != nil {
			t.Fatalf("unpaid after 40 days = %+v, want still initiated", got)
		}
		w.invoiceAction(inv.ID, "void").ExpectError(http.StatusConflict, "conflict", "invoiceVoidNotAllowed")
		// Ending it is the way out, and voids the unpaid invoice.
		if got := w.action(s.ID, "end", nil).Expect(http.StatusOK).JSON(); got["status"] != "ended" {
			t.Fatalf("end = %v", got)
		}
		if got := w.firstInvoice(s.ID); got.Status != "voided" || got.VoidedAt == nil {
			t.Fatalf("invoice after end = %+v, want voided", got)
		}
		w.invoiceAction(inv.ID, "pay").ExpectError(http.StatusConflict, "conflict", "invoiceVoided")
		w.invoiceAction(inv.ID, "void").ExpectError(http.StatusConflict, "conflict", "invoiceAlreadyVoided")
	})
}

// TestBillingPayActivatesNewSubscription: "This action will trigger the
// activation process for new subscriptions", with the seed's pay curl (no
// body); paying twice is a conflict.
func TestBillingPayActivatesNewSubscription(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		inv := w.firstInvoice(s.ID)
		w.advance(time.Hour)
		var paid invoice
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK).Decode(&paid)
		if paid.Status != "paid" || paid.ID != inv.ID {
			t.Fatalf("paid = %+v", paid)
		}
		mustEqualTime(t, "paidAt", paid.PaidAt, worldStart.Add(time.Hour))
		if got := w.sub(s.ID); got.Status != "pending" {
			t.Fatalf("after pay = %s, want pending", got.Status)
		}
		w.invoiceAction(inv.ID, "pay").ExpectError(http.StatusConflict, "conflict", "invoiceAlreadyPaid")
		w.invoiceAction(inv.ID, "void").ExpectError(http.StatusConflict, "conflict", "invoiceAlreadyPaid")
		w.advance(3 * time.Hour)
		got := w.sub(s.ID)
		if got.Status != "active" || got.CurrentPeriod == nil || got.CurrentPeriod.Number != 1 {
			t.Fatalf("after activation = %+v", got)
		}
		mustEqualTime(t, "activatedAt", got.ActivatedAt, worldStart.Add(time.Hour+2*time.Minute))
		want := []string{"com.gigs.subscription.created", "com.gigs.subscription.updated", "com.gigs.subscription.activated"}
		if evs := types(w.eventsOf(s.ID)); !slices.Equal(evs, want) {
			t.Fatalf("subscription events = %v, want %v", evs, want)
		}
		if evs := types(w.eventsOf(inv.ID)); !slices.Contains(evs, "com.gigs.invoice.paid") {
			t.Fatalf("invoice events = %v, want invoice.paid", evs)
		}
	})
}

// TestBillingAutomaticPayment: "configure invoices at the project level to
// automatically transition to paid when they are finalized" (and a free
// plan's invoice, whose amount due is zero, on a manual project).
func TestBillingAutomaticPayment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, behavior string
		price          int
	}{{"automatic", "automatic", 1000}, {"zeroAmountDue", "manual", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "paymentBehavior": tc.behavior})
				plan := w.plan(map[string]any{"price": map[string]any{"amount": tc.price, "currency": "USD"}})
				s := w.subscribe(plan, w.user(nil), "auto", nil)
				if s.Status != "pending" {
					t.Fatalf("status = %s, want pending (paid at once)", s.Status)
				}
				inv := w.firstInvoice(s.ID)
				if inv.Status != "paid" || inv.TotalP.Amount != int64(tc.price) {
					t.Fatalf("invoice = %+v, want paid", inv)
				}
				mustEqualTime(t, "paidAt", inv.PaidAt, worldStart)
				w.expectPaidAtCreation(s.ID, inv.ID)
			})
		})
	}
}

// TestBillingInvoiceIncludesTaxesAndFees: "Invoices represent the amount a
// user must pay for a subscription period, including any taxes and fees";
// the first invoice costs what the quote said (TestBillingQuoteChangesNothing).
func TestBillingInvoiceIncludesTaxesAndFees(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "recoveryFeePercentage": 3})
		user := w.user(nil)
		addr := w.address(user)
		plan := w.plan(nil)
		quote := w.Post(w.P("/quotes"), map[string]any{"plan": plan, "user": user, "address": addr}).Expect(http.StatusCreated).JSON()
		s := w.subscribe(plan, user, "auto", map[string]any{"userAddress": addr})
		inv := w.firstInvoice(s.ID)
		checkTotals(t, inv)
		if inv.TaxP.Amount == 0 || len(inv.Fees) != 1 || inv.Fees[0].Amount != 30 || inv.Address == nil || *inv.Address != addr {
			t.Fatalf("invoice = %+v, want taxes and a 30 recovery fee at %s", inv, addr)
		}
		if qt := quote["total"].(map[string]any)["amount"].(float64); int64(qt) != inv.TotalP.Amount {
			t.Fatalf("invoice total %d, quote total %v", inv.TotalP.Amount, qt)
		}
		var got invoice
		w.Get(w.P("/invoices/" + inv.ID)).Expect(http.StatusOK).Decode(&got)
		if got.ID != inv.ID || got.TotalP != inv.TotalP || len(got.LineItems) != 1 || got.LineItems[0].ID != inv.LineItems[0].ID {
			t.Fatalf("GET = %+v, list = %+v", got, inv)
		}
		// The database refuses a second live creation invoice (docs/billing.md §9).
		_, err := db.Exec(context.Background(), `INSERT INTO invoices (id, project_id, user_id, subscription_id, reason, status, currency,
			period_number, subtotal, discount, tax, fees_total, total, line_items, fees, created_at, updated_at)
			SELECT 'inv_duplicate', project_id, user_id, subscription_id, reason, status, currency, period_number, subtotal, discount,
			tax, fees_total, total, line_items, fees, created_at, updated_at FROM invoices WHERE id = ?`, inv.ID)
		if err == nil {
			t.Fatal("a second creation invoice for one subscription was accepted")
		}
	})
}

// TestBillingOffProject: billing off, subscriptions are created as before
// and there are no invoices.
func TestBillingOffProject(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		if s.Status != "pending" {
			t.Fatalf("status = %s, want pending", s.Status)
		}
		if n := len(w.invoices("")); n != 0 {
			t.Fatalf("invoices = %d, want none", n)
		}
		w.Get(w.P("/invoices/inv_0SNlurA049MEWV1QTRqvd18YuG25")).ExpectError(http.StatusNotFound, "notFound", "invoiceNotFound")
		w.invoiceAction("inv_0SNlurA049MEWV1QTRqvd18YuG25", "pay").ExpectError(http.StatusNotFound, "notFound", "invoiceNotFound")
		w.Get(w.P("/invoices?reason=bogus")).ExpectError(http.StatusUnprocessableEntity, "invalid", "invalidEnumValue")
	})
}

// TestBillingPlanCurrencyMismatch: a billed project only sells plans priced
// in its billing currency (docs/billing.md §2 "Creation flow").
func TestBillingPlanCurrencyMismatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "EUR"})
		body := map[string]any{"plan": w.plan(nil), "user": w.user(nil), "sim": "auto"}
		w.Post(w.P("/subscriptions"), body).ExpectError(http.StatusUnprocessableEntity, "invalid", "planCurrencyMismatch")
		if n := len(w.invoices("")); n != 0 {
			t.Fatalf("invoices = %d, want none", n)
		}
	})
}
