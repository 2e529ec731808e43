package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// Payment rules of seed 000 (failed payments, updating a payment method,
// refunds) and issue 14 (docs/payments.md), on the simulator's test cards.

const (
	cardVisa         = "4242424242424242"
	cardInsufficient = "4000000000009995"
	cardDeclineOnce  = "4000000000000341"
	cardDisputeLost  = "4000000000000259"
	cardDisputeWon   = "4000000000001976"
)

// TestPaymentCardSucceeds: with paymentBehavior automatic and a provider,
// a finalized invoice is charged to the user's default method; success
// marks it paid with its payment, and the subscription activates.
func TestPaymentCardSucceeds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, nil)
		s, _ := w.paySub(cardVisa)
		if s.Status != "active" {
			t.Fatalf("subscription = %s, want active", s.Status)
		}
		inv := w.firstInvoice(s.ID)
		p := w.paymentOf(inv.ID)
		if inv.Status != "paid" || p.Status != "succeeded" || p.FailedAttempts != 0 || p.Amount != inv.TotalP ||
			p.InvoiceNumber == nil || p.Method == nil || p.Reason != "subscriptionCreation" {
			t.Fatalf("invoice %s %s, payment %+v", inv.ID, inv.Status, p)
		}
		var raw struct{ Payment *string }
		w.Get(w.P("/invoices/" + inv.ID)).Expect(http.StatusOK).Decode(&raw)
		if raw.Payment == nil || *raw.Payment != p.ID {
			t.Fatalf("invoice.payment = %v, want %s", raw.Payment, p.ID)
		}
		if got := types(w.eventsOf(p.ID)); !slices.Equal(got, []string{"com.gigs.payment.succeeded"}) {
			t.Fatalf("payment events = %v", got)
		}

		// The renewal invoice is collected the same way.
		w.advanceTo(blFeb10)
		renewal := w.blInvoice(s.ID, 2)
		if rp := w.paymentOf(renewal.ID); renewal.Status != "paid" || rp.Status != "succeeded" || rp.Reason != "subscriptionRenewal" {
			t.Fatalf("renewal invoice %s, payment %+v", renewal.Status, rp)
		}
	})
}

// TestPaymentDeclinedRetriedFourTimesOver21Days: "Once a payment attempt
// has failed, it will be retried 4 times over the next duration of 21
// days" (seed 000), each failure recording payment.failed; the invoice's
// grace period does not cut the retries short, and after the last one the
// delinquency settings decide: end (cause paymentFailed) or restrict.
func TestPaymentDeclinedRetriedFourTimesOver21Days(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ action, status, cause string }{
		{"end", "ended", "paymentFailed"},
		{"restrict", "restricted", ""},
	} {
		t.Run(tc.action, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := payWorld(t, db, map[string]any{"invoiceOverdueAction": tc.action})
				s, u := w.paySub(cardVisa)
				w.card(u, cardInsufficient) // the new default, for the renewal
				w.advanceTo(blFeb10)
				inv := w.blInvoice(s.ID, 2)
				p := w.paymentOf(inv.ID)
				if p.Status != "failed" || p.FailureCode == nil || *p.FailureCode != "paymentCardInsufficientFunds" {
					t.Fatalf("payment after the renewal = %+v", p)
				}
				last := blFeb10.AddDate(0, 0, 21)
				w.advanceTo(last.Add(-time.Hour))
				if got := w.sub(s.ID); got.Status != "active" {
					t.Fatalf("%s: subscription before the last retry = %s, want active", tc.action, got.Status)
				}
				w.advanceTo(last)
				want := []time.Time{blFeb10, blFeb10.AddDate(0, 0, 3), blFeb10.AddDate(0, 0, 7), blFeb10.AddDate(0, 0, 14), last}
				if got := w.failures(p.ID); !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Fatalf("%s: payment.failed at %v, want %v", tc.action, got, want)
				}
				got := w.sub(s.ID)
				if p := w.paymentOf(inv.ID); p.FailedAttempts != 5 || got.Status != tc.status || blCause(got) != tc.cause {
					t.Fatalf("%s: after the last retry: payment %+v, subscription %s cause %q", tc.action, p, got.Status, blCause(got))
				}
				w.advanceTo(blMar10.Add(-time.Hour))
				if n := len(w.failures(p.ID)); n != 5 {
					t.Fatalf("%s: %d failures after the retries ended, want 5", tc.action, n)
				}
			})
		})
	}
}

// TestPaymentMethodUpdatedMidDunningCollectsAtOnce: "When the payment
// method is updated, Stripe will immediately begin its process to collect
// all outstanding payments" (seed 000); the retries stop there.
func TestPaymentMethodUpdatedMidDunningCollectsAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, nil)
		s, u := w.paySub(cardVisa)
		w.card(u, cardInsufficient)
		w.advanceTo(blFeb10.AddDate(0, 0, 5)) // two failures: Feb 10, Feb 13
		inv := w.blInvoice(s.ID, 2)
		pm := w.card(u, cardVisa)
		p := w.paymentOf(inv.ID)
		inv = w.blInvoice(s.ID, 2)
		if p.Status != "succeeded" || p.FailedAttempts != 2 || *p.Method != pm || inv.Status != "paid" || !inv.PaidAt.Equal(blFeb10.AddDate(0, 0, 5)) {
			t.Fatalf("after the new method: payment %+v, invoice %s paid %v", p, inv.Status, inv.PaidAt)
		}
		w.advanceTo(blMar10.Add(-time.Hour))
		if n := len(w.failures(p.ID)); n != 2 || w.sub(s.ID).Status != "active" {
			t.Fatalf("failures = %d, subscription %s; want 2 and active", n, w.sub(s.ID).Status)
		}
	})
}

// TestPaymentDeclinedThenSucceedsOnRetry: the first invoice is declined
// once; the subscription stays initiated until the retry three days later
// pays it, then activates.
func TestPaymentDeclinedThenSucceedsOnRetry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, nil)
		u := w.user(nil)
		w.card(u, cardDeclineOnce)
		s := w.subscribe(w.plan(nil), u, "auto", nil)
		inv := w.firstInvoice(s.ID)
		if s.Status != "initiated" || inv.Status != "finalized" || w.paymentOf(inv.ID).Status != "failed" {
			t.Fatalf("after the decline: subscription %s, invoice %s", s.Status, inv.Status)
		}
		w.advance(3*24*time.Hour + 3*time.Hour)
		p := w.paymentOf(inv.ID)
		if got := w.sub(s.ID); p.Status != "succeeded" || p.FailedAttempts != 1 || got.Status != "active" {
			t.Fatalf("after the retry: payment %+v, subscription %s", p, got.Status)
		}
	})
}

// TestPaymentWithoutMethodFails: a user with no payment method is not
// charged; the attempt fails with paymentMethodRequired and is retried.
func TestPaymentWithoutMethodFails(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, nil)
		u := w.user(nil)
		s := w.subscribe(w.plan(nil), u, "auto", nil)
		p := w.paymentOf(w.firstInvoice(s.ID).ID)
		if p.Status != "failed" || p.FailureCode == nil || *p.FailureCode != "paymentMethodRequired" || p.Method != nil {
			t.Fatalf("payment without a method = %+v", p)
		}
		w.card(u, cardVisa)
		if got := w.paymentOf(p.Invoice); got.Status != "succeeded" || w.sub(s.ID).Status != "pending" {
			t.Fatalf("after adding a card: payment %+v, subscription %s", got, w.sub(s.ID).Status)
		}
	})
}

// TestPaymentRefundFullAndPartialIssueCreditNotes: a refund gives back
// all or part of a payment, never more than was paid, each with an
// out-of-band credit note of the same amount on the paid invoice.
func TestPaymentRefundFullAndPartialIssueCreditNotes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, nil)
		s, _ := w.paySub(cardVisa)
		inv := w.firstInvoice(s.ID)
		p := w.paymentOf(inv.ID)
		refund := func(body any) *payment {
			var out payment
			w.Post(w.P("/payments/"+p.ID+"/refund"), body).Expect(http.StatusOK).Decode(&out)
			return &out
		}
		over := map[string]any{"amount": p.Amount.Amount + 1}
		w.Post(w.P("/payments/"+p.ID+"/refund"), over).ExpectError(http.StatusUnprocessableEntity, "invalid", "paymentRefundAmountExceeded")
		if got := refund(map[string]any{"amount": 300}); got.Refunded.Amount != 300 {
			t.Fatalf("refunded after 300 = %d", got.Refunded.Amount)
		}
		if got := refund(nil); got.Refunded != p.Amount {
			t.Fatalf("refunded after the rest = %+v, want %+v", got.Refunded, p.Amount)
		}
		w.Post(w.P("/payments/"+p.ID+"/refund"), nil).ExpectError(http.StatusUnprocessableEntity, "invalid", "paymentRefundAmountExceeded")

		var notes struct {
			Items []struct {
				CreditTo string
				Total    money
				Status   string
			}
		}
		w.Get(w.P("/creditNotes?invoice=" + inv.ID)).Expect(http.StatusOK).Decode(&notes)
		if len(notes.Items) != 2 || notes.Items[1].Total.Amount != 300 || notes.Items[0].Total.Amount != p.Amount.Amount-300 {
			t.Fatalf("credit notes = %+v", notes.Items)
		}
		for _, n := range notes.Items {
			if n.CreditTo != "outOfBand" || n.Status != "issued" {
				t.Fatalf("credit note %+v, want outOfBand issued", n)
			}
		}
		if got := types(w.eventsOf(p.ID)); !slices.Equal(got, []string{"com.gigs.payment.succeeded", "com.gigs.payment.refunded", "com.gigs.payment.refunded"}) {
			t.Fatalf("payment events = %v", got)
		}
	})
}

// TestPaymentDisputeLostEndsSubscription: a charge the holder disputes
// records payment.disputed; a lost dispute records payment.disputeLost and
// ends the subscription with the cause paymentDisputed; a won one leaves
// it running.
func TestPaymentDisputeLostEndsSubscription(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		card, outcome, status, cause, closing string
	}{
		{cardDisputeLost, "lost", "ended", "paymentDisputed", "com.gigs.payment.disputeLost"},
		{cardDisputeWon, "won", "active", "", "com.gigs.payment.disputeWon"},
	} {
		t.Run(tc.outcome, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := payWorld(t, db, nil)
				s, _ := w.paySub(tc.card)
				charged := blActivation.Add(-2 * time.Minute)
				p := w.paymentOf(w.firstInvoice(s.ID).ID)
				w.advanceTo(charged.AddDate(0, 0, 3))
				if got := types(w.eventsOf(p.ID)); !slices.Equal(got, []string{"com.gigs.payment.succeeded", "com.gigs.payment.disputed"}) {
					t.Fatalf("%s: events while disputed = %v", tc.outcome, got)
				}
				w.advanceTo(charged.AddDate(0, 0, 10))
				p = w.paymentOf(p.Invoice)
				got := w.sub(s.ID)
				if p.DisputeOutcome != tc.outcome || p.DisputeClosedAt == nil || got.Status != tc.status || blCause(got) != tc.cause {
					t.Fatalf("%s: payment %+v, subscription %s cause %q", tc.outcome, p, got.Status, blCause(got))
				}
				evs := w.eventsOf(p.ID)
				if last := evs[len(evs)-1]; last.Type != tc.closing {
					t.Fatalf("%s: last payment event %s", tc.outcome, last.Type)
				}
			})
		})
	}
}

// TestPaymentInvoicePaidByRequestStopsCollection: an invoice paid through
// POST /pay while its payment is failing is not charged again.
func TestPaymentInvoicePaidByRequestStopsCollection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := payWorld(t, db, nil)
		s, u := w.paySub(cardVisa)
		w.card(u, cardInsufficient)
		w.advanceTo(blFeb10)
		inv := w.blInvoice(s.ID, 2)
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		w.advanceTo(blMar10.Add(-time.Hour))
		p := w.paymentOf(inv.ID)
		if p.Status != "canceled" || len(w.failures(p.ID)) != 1 {
			t.Fatalf("payment after paying by request = %+v, %d failures", p, len(w.failures(p.ID)))
		}
	})
}

// TestPaymentSettingsHideSecrets: the Stripe keys are stored, never shown.
func TestPaymentSettingsHideSecrets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		body := map[string]any{"provider": "stripe", "stripe": map[string]any{"secretKey": "sk_test_hidden123", "webhookSigningSecret": "whsec_hidden456"}}
		for _, r := range []string{
			string(w.Patch(w.P("/paymentSettings"), body).Expect(http.StatusOK).Body),
			string(w.Get(w.P("/paymentSettings")).Expect(http.StatusOK).Body),
		} {
			var got struct {
				Provider string
				Stripe   struct{ SecretKeySet, WebhookSigningSecretSet bool }
			}
			if err := json.Unmarshal([]byte(r), &got); err != nil {
				t.Fatal(err)
			}
			if got.Provider != "stripe" || !got.Stripe.SecretKeySet || !got.Stripe.WebhookSigningSecretSet || containsAny(r, "hidden123", "hidden456") {
				t.Fatalf("settings = %s", r)
			}
		}
		for _, tc := range []struct {
			body any
			code string
		}{
			{map[string]any{"provider": "paypal"}, "invalidEnumValue"},
			{map[string]any{"provider": "stripe"}, "fieldRequired"},
			{map[string]any{"provider": "simulator", "retryScheduleDays": []int{3, 3}}, "retryScheduleInvalid"},
			{map[string]any{"provider": "simulator", "retryScheduleDays": []int{61}}, "retryScheduleInvalid"},
		} {
			w.Patch(w.P("/paymentSettings"), tc.body).ExpectError(http.StatusUnprocessableEntity, "invalid", tc.code)
		}
	})
}
