package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	cgmoney "cellgate/internal/money"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// capturedEmail is a message of a test project's outbox.
type capturedEmail struct{ To, Subject, Text string }

// emails are the test project's captured messages, newest first.
func (w *world) emails() []capturedEmail {
	w.t.Helper()
	var page struct{ Items []capturedEmail }
	w.Get("/testing/projects/" + w.Project + "/emails?limit=200").Expect(http.StatusOK).Decode(&page)
	return page.Items
}

// TestPaymentFailedEmailsTheUser: every declined attempt emails the user
// through the outbox (seed 000: the user is notified of a failed
// payment), with the amount, the reason and the next try; the last one
// says the invoice is overdue. A successful charge sends nothing.
func TestPaymentFailedEmailsTheUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, nil)
		s, u := w.paySub(cardVisa)
		if got := w.emails(); len(got) != 0 {
			t.Fatalf("a paid invoice sent %+v", got)
		}
		var user struct{ Email string }
		w.Get(w.P("/users/" + u)).Expect(http.StatusOK).Decode(&user)
		w.card(u, cardInsufficient)
		w.advanceTo(blFeb10)
		inv := w.blInvoice(s.ID, 2)
		got := w.emails()
		if len(got) != 1 {
			t.Fatalf("emails after the first decline = %+v", got)
		}
		m := got[0]
		p := w.paymentOf(inv.ID)
		amount := cgmoney.Format(p.Amount.Amount, p.Amount.Currency)
		if m.To != user.Email || m.Subject != "Your payment failed" || !strings.Contains(m.Text, inv.ID) ||
			!strings.Contains(m.Text, amount) || !strings.Contains(m.Text, "February 13, 2030") {
			t.Fatalf("first email = %+v (amount %s)", m, amount)
		}
		w.advanceTo(blFeb10.AddDate(0, 0, 21))
		got = w.emails()
		if len(got) != 5 {
			t.Fatalf("%d emails after the four retries, want 5", len(got))
		}
		if !strings.Contains(got[0].Text, "last attempt") || !strings.Contains(got[1].Text, "March 3, 2030") {
			t.Fatalf("last emails = %q / %q", got[0].Text, got[1].Text)
		}
	})
}

// TestSubscriptionDiscountFollowsVoucherRecurrence: billing.discount
// names the redeemed voucher while its recurrence covers the current
// period (reference §2.16: "the discount currently applied"), period by
// period over the creation and 6 renewals, the same periods whose
// invoices it discounts; null without a voucher and once ended.
func TestSubscriptionDiscountFollowsVoucherRecurrence(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		voucher map[string]any
		covered []bool // periods 1 to 7
	}{
		{"once", map[string]any{"recurrence": map[string]any{"type": "once"}}, []bool{true, false, false, false, false, false, false}},
		{"repeating", map[string]any{"recurrence": map[string]any{"type": "repeating", "durationInMonths": 3}},
			[]bool{true, true, true, false, false, false, false}},
		{"forever", map[string]any{"priceDiscountPercentage": 15}, []bool{true, true, true, true, true, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := payWorld(t, db, nil)
				vou := w.voucher("SAVE", tc.voucher)
				discount := func(id string) *string {
					var s struct {
						Billing struct{ Discount *struct{ Voucher string } }
					}
					w.Get(w.P("/subscriptions/" + id)).Expect(http.StatusOK).Decode(&s)
					if s.Billing.Discount == nil {
						return nil
					}
					return &s.Billing.Discount.Voucher
				}
				u := w.user(nil)
				w.card(u, cardVisa)
				w.advanceTo(blActivation.Add(-2 * time.Minute))
				plain := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
				s := w.subscribe(w.plan(nil), u, "auto", map[string]any{"voucherCode": "SAVE"})
				if d := discount(s.ID); d == nil || *d != vou {
					t.Fatalf("pending subscription's discount = %v, want %s", d, vou)
				}
				if d := discount(plain.ID); d != nil {
					t.Fatalf("a subscription without voucher has discount %s", *d)
				}
				var got []bool
				for n := 1; n <= 7; n++ {
					w.advanceTo(blActivation.AddDate(0, n-1, 0))
					d := discount(s.ID)
					if d != nil && *d != vou {
						t.Fatalf("period %d: discount voucher %s, want %s", n, *d, vou)
					}
					got = append(got, d != nil)
					inv := w.firstInvoice(s.ID)
					if n > 1 {
						inv = w.blInvoice(s.ID, n)
					}
					if (inv.DiscountP.Amount > 0) != (d != nil) {
						t.Fatalf("period %d: invoice discount %d, subscription discount %v", n, inv.DiscountP.Amount, d)
					}
				}
				if !slices.Equal(got, tc.covered) {
					t.Fatalf("discounted periods = %v, want %v", got, tc.covered)
				}
				w.Post(w.P("/subscriptions/"+s.ID+"/end"), map[string]any{}).Expect(http.StatusOK)
				if d := discount(s.ID); d != nil {
					t.Fatalf("an ended subscription has discount %s", *d)
				}
			})
		})
	}
}

// TestPaymentMethodRequiringConfirmationCollectsOnceConfirmed: a card
// that requires confirmation is created requiresConfirmation with a
// clientSecret, is not the default and is never charged; collection waits
// for it (the invoice's attempt finds no method to charge). Confirming it
// with its secret makes it available, the default, and collects the
// failing payment at once; a wrong secret or a second confirmation
// changes nothing.
func TestPaymentMethodRequiringConfirmationCollectsOnceConfirmed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, nil)
		u := w.user(nil)
		tok := w.Post("/testing/projects/"+w.Project+"/paymentTokens", map[string]any{"number": "4000002500003155"}).Expect(http.StatusCreated).ID()
		var pm struct {
			ID, Status   string
			Default      bool
			ClientSecret *string
		}
		w.Post(w.P("/paymentMethods"), map[string]any{"user": u, "token": tok}).Expect(http.StatusCreated).Decode(&pm)
		if pm.Status != "requiresConfirmation" || pm.Default || pm.ClientSecret == nil {
			t.Fatalf("new method = %+v", pm)
		}
		w.advanceTo(blActivation.Add(-2 * time.Minute))
		s := w.subscribe(w.plan(nil), u, "auto", nil)
		w.advanceTo(blActivation)
		inv := w.firstInvoice(s.ID)
		p := w.paymentOf(inv.ID)
		if p.Status != "failed" || p.FailureCode == nil || *p.FailureCode != "paymentMethodRequired" || p.Method != nil {
			t.Fatalf("payment before confirmation = %+v", p)
		}
		confirm := func(secret string) *apitest.Response {
			return w.Do(apitest.Request{Method: http.MethodPost, Path: "/testing/projects/" + w.Project + "/paymentMethods/" + pm.ID + "/confirm",
				Body: map[string]any{"clientSecret": secret}})
		}
		confirm(*pm.ClientSecret+"x").ExpectError(http.StatusUnprocessableEntity, "invalid", "paymentMethodClientSecretInvalid")
		if got := w.paymentOf(inv.ID); got.Status != "failed" || got.FailedAttempts != 1 {
			t.Fatalf("a wrong secret changed the payment: %+v", got)
		}
		var confirmed struct {
			Status       string
			Default      bool
			ClientSecret *string
		}
		confirm(*pm.ClientSecret).Expect(http.StatusOK).Decode(&confirmed)
		if confirmed.Status != "available" || !confirmed.Default || confirmed.ClientSecret != nil {
			t.Fatalf("confirmed method = %+v", confirmed)
		}
		got := w.paymentOf(inv.ID)
		if got.Status != "succeeded" || got.Method == nil || *got.Method != pm.ID || w.firstInvoice(s.ID).Status != "paid" {
			t.Fatalf("after confirmation: payment %+v, invoice %s", got, w.firstInvoice(s.ID).Status)
		}
		if types := types(w.eventsOf(pm.ID)); !slices.Contains(types, "com.gigs.paymentMethod.confirmed") {
			t.Fatalf("method events = %v", types)
		}
		confirm(*pm.ClientSecret).ExpectError(http.StatusConflict, "conflict", "paymentMethodNotConfirmable")
	})
}
