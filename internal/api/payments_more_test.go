package api_test

import (
	"net/http"
	"strings"
	"testing"

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
