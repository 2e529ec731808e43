package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestStripeWebhookVerifiesSignature: the Stripe intake takes an event
// only with a Stripe-Signature made with the project's signing secret,
// recent, over the exact payload; a project that does not collect through
// Stripe has no intake.
func TestStripeWebhookVerifiesSignature(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		path := "/paymentProviders/stripe/webhooks/" + w.Project
		event := []byte(`{"id":"evt_1","object":"event","api_version":"2025-06-30.basil","type":"charge.dispute.created",
			"data":{"object":{"id":"dp_1","object":"dispute","payment_intent":"pi_unknown","status":"needs_response"}}}`)
		sign := func(secret string, at time.Time, payload []byte) string {
			return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
		}
		post := func(sig string, payload []byte) *apitest.Response {
			return w.Do(apitest.Request{Method: http.MethodPost, Path: path, Body: payload, NoAuth: true,
				Headers: map[string]string{"Stripe-Signature": sig}})
		}
		post(sign("whsec_project", time.Now(), event), event).ExpectError(http.StatusNotFound, "notFound", "paymentProviderNotFound")

		w.Patch(w.P("/paymentSettings"), map[string]any{"provider": "stripe",
			"stripe": map[string]any{"secretKey": "sk_test_x", "webhookSigningSecret": "whsec_project"}}).Expect(http.StatusOK)
		tampered := append([]byte(nil), event...)
		tampered[len(tampered)-3] = ' '
		for name, sig := range map[string]string{
			"another secret": sign("whsec_other", time.Now(), event),
			"too old":        sign("whsec_project", time.Now().Add(-10*time.Minute), event),
			"no signature":   "",
		} {
			if r := post(sig, event); r.Status != http.StatusUnauthorized {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		if r := post(sign("whsec_project", time.Now(), event), tampered); r.Status != http.StatusUnauthorized {
			t.Errorf("tampered payload: %d %s", r.Status, r.Body)
		}
		var receipt struct{ Object, Status string }
		post(sign("whsec_project", time.Now(), event), event).Expect(http.StatusOK).Decode(&receipt)
		if receipt.Status != "received" {
			t.Fatalf("receipt = %+v", receipt)
		}
		var page struct{ Items []json.RawMessage }
		w.Get(w.P("/payments")).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 0 {
			t.Fatalf("a dispute of an unknown charge made payments: %s", page.Items)
		}
	})
}
