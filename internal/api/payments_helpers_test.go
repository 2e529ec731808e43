package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cellgate/internal/store"
)

// Helpers for the payment scenarios (docs/payments.md): a billed project
// paying automatically through the simulator, on the calendar of the
// billing scenarios (activation Jan 10 2030, renewals on the 10th).

// payment is a payment as the API returns it.
type payment struct {
	ID              string     `json:"id"`
	Amount          money      `json:"amount"`
	Refunded        money      `json:"refunded"`
	Status          string     `json:"status"`
	FailedAttempts  int        `json:"failedAttempts"`
	FailureCode     *string    `json:"failureCode"`
	Method          *string    `json:"method"`
	Invoice         string     `json:"invoice"`
	InvoiceNumber   *string    `json:"invoiceNumber"`
	AttemptedAt     *time.Time `json:"attemptedAt"`
	DisputeOutcome  string     `json:"disputeOutcome"`
	DisputeClosedAt *time.Time `json:"disputeClosedAt"`
	Reason          string     `json:"reason"`
}

// payWorld is a billed test project that pays automatically through the
// simulator, with the given billing settings on top.
func payWorld(t testing.TB, db *store.DB, settings map[string]any) *world {
	t.Helper()
	set := map[string]any{"currency": "USD", "paymentBehavior": "automatic", "invoiceOverdueDays": 3, "invoiceOverdueAction": "end"}
	for k, v := range settings {
		set[k] = v
	}
	w := billedWorld(t, db, set)
	w.Patch(w.P("/paymentSettings"), map[string]any{"provider": "simulator"}).Expect(http.StatusOK)
	return w
}

// card adds a test card to the user through the simulator's tokenizer
// and returns the new payment method's id.
func (w *world) card(user, number string) string {
	w.t.Helper()
	tok := w.Post("/testing/projects/"+w.Project+"/paymentTokens", map[string]any{"number": number}).Expect(http.StatusCreated).ID()
	return w.Post(w.P("/paymentMethods"), map[string]any{"user": user, "token": tok}).Expect(http.StatusCreated).ID()
}

// paymentOf is the payment collecting an invoice.
func (w *world) paymentOf(invoice string) payment {
	w.t.Helper()
	var page struct{ Items []payment }
	w.Get(w.P("/payments?invoice=" + invoice)).Expect(http.StatusOK).Decode(&page)
	if len(page.Items) != 1 {
		w.t.Fatalf("payments of %s = %d, want 1", invoice, len(page.Items))
	}
	return page.Items[0]
}

// paySub subscribes a new user paying with the card number, activated at
// blActivation (the creation invoice is charged in the request).
func (w *world) paySub(number string) (sub, string) {
	w.t.Helper()
	u := w.user(nil)
	w.card(u, number)
	w.advanceTo(blActivation.Add(-2 * time.Minute))
	s := w.subscribe(w.plan(nil), u, "auto", nil)
	w.advanceTo(blActivation)
	return w.sub(s.ID), u
}

// failures are the times of a payment's payment.failed events.
func (w *world) failures(paymentID string) []time.Time {
	w.t.Helper()
	var out []time.Time
	for _, e := range w.eventsOf(paymentID) {
		if e.Type == "com.gigs.payment.failed" {
			out = append(out, e.Time)
		}
	}
	return out
}

// containsAny reports whether s holds any of the secrets.
func containsAny(s string, secrets ...string) bool {
	for _, x := range secrets {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
