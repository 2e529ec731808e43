package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cellgate/internal/payments"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestPaymentCardNumbersAndSecretsNeverLeak: card numbers and the Stripe
// secrets are never in a log line (at debug level), an event or an
// answer, including the errors that refuse them.
func TestPaymentCardNumbersAndSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg, logs := observedConfig()
		w := newWorldWith(t, db, cfg)
		w.Patch(w.P(""), map[string]any{"billing": map[string]any{"currency": "USD", "paymentBehavior": "automatic"}}).Expect(http.StatusOK)
		secrets := []string{"sk_test_51Secret0000key", "whsec_Signing0000secret", "4111111111111111"}
		for _, c := range payments.TestCards {
			secrets = append(secrets, c.Number)
		}
		var answers []string
		keep := func(b []byte) { answers = append(answers, string(b)) }

		stripe := map[string]any{"secretKey": secrets[0], "webhookSigningSecret": secrets[1]}
		keep(w.Patch(w.P("/paymentSettings"), map[string]any{"provider": "stripe", "stripe": stripe}).Expect(http.StatusOK).Body)
		keep(w.Get(w.P("/paymentSettings")).Expect(http.StatusOK).Body)
		bad := map[string]any{"secretKey": secrets[0], "webhookSigningSecret": secrets[1], "apiBase": "ftp://" + secrets[0]}
		keep(w.Patch(w.P("/paymentSettings"), map[string]any{"provider": "stripe", "stripe": bad}).Expect(http.StatusUnprocessableEntity).Body)
		keep(w.Patch(w.P("/paymentSettings"), map[string]any{"provider": "simulator"}).Expect(http.StatusOK).Body)

		plan := w.plan(nil)
		for _, c := range payments.TestCards {
			u := w.user(nil)
			r := w.Post("/testing/projects/"+w.Project+"/paymentTokens", map[string]any{"number": c.Number}).Expect(http.StatusCreated)
			keep(r.Body)
			keep(w.Post(w.P("/paymentMethods"), map[string]any{"user": u, "token": r.ID()}).Expect(http.StatusCreated).Body)
			keep(w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": u, "sim": "auto"}).Expect(http.StatusCreated).Body)
		}
		keep(w.Post("/testing/projects/"+w.Project+"/paymentTokens", map[string]any{"number": secrets[2]}).Expect(http.StatusUnprocessableEntity).Body)
		w.advance(30 * 24 * time.Hour) // retries, disputes, a renewal
		keep(w.Get(w.P("/payments?limit=200")).Expect(http.StatusOK).Body)
		keep(w.Get(w.P("/paymentMethods?limit=200")).Expect(http.StatusOK).Body)

		after := ""
		for {
			path := w.P("/events?limit=200")
			if after != "" {
				path += "&after=" + after
			}
			var page struct{ MoreItemsAfter *string }
			r := w.Get(path).Expect(http.StatusOK)
			keep(r.Body)
			r.Decode(&page)
			if page.MoreItemsAfter == nil {
				break
			}
			after = *page.MoreItemsAfter
		}
		if !strings.Contains(logs.text(), "/paymentTokens") {
			t.Fatal("the log holds no request of the scenario: the scan would prove nothing")
		}
		for _, s := range secrets {
			if strings.Contains(logs.text(), s) {
				t.Errorf("the log holds %s", s)
			}
			for _, a := range answers {
				if strings.Contains(a, s) {
					t.Errorf("an answer or event holds %s: %s", s, a)
				}
			}
		}
	})
}
