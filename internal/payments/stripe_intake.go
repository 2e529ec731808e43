package payments

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// VerifyStripeEvent checks a webhook's Stripe-Signature with the
// project's signing secret (stripe-go's own verification, with its
// five-minute tolerance) and reads the event.
func VerifyStripeEvent(set *Settings, payload []byte, signature string) (stripe.Event, error) {
	if !set.Enabled() || *set.Provider != StripeID || set.WebhookSecret() == "" {
		return stripe.Event{}, errs.NotFound("paymentProvider", StripeID)
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signature, set.WebhookSecret(),
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return stripe.Event{}, errs.Unauthenticated("The Stripe-Signature does not verify with the project's webhook signing secret.")
	}
	return ev, nil
}

// ApplyStripeEvent takes in a verified Stripe event: news of a dispute
// makes cellgate read the dispute at once (KindDispute), so the outcome
// is applied in the order and the way the simulator's disputes are.
// Other events are acknowledged and change nothing: charges are answered
// synchronously. It reports whether the event concerned a payment.
func ApplyStripeEvent(ctx context.Context, tx *store.Tx, project string, ev stripe.Event, now time.Time) (bool, error) {
	if !strings.HasPrefix(string(ev.Type), "charge.dispute.") || ev.Data == nil {
		return false, nil
	}
	var d struct {
		PaymentIntent json.RawMessage `json:"payment_intent"`
	}
	if err := json.Unmarshal(ev.Data.Raw, &d); err != nil {
		return false, errs.Invalid("webhookInvalid", "The dispute in the event cannot be read.")
	}
	var pi string
	if err := json.Unmarshal(d.PaymentIntent, &pi); err != nil {
		var obj struct{ ID string }
		if json.Unmarshal(d.PaymentIntent, &obj) != nil || obj.ID == "" {
			return false, nil
		}
		pi = obj.ID
	}
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM payments WHERE project_id = ? AND charge_ref = ?`, project, pi).Scan(&id)
	if err != nil {
		return false, nil // not a payment of this project
	}
	p, err := Lock(ctx, tx, project, id)
	if err != nil {
		return false, err
	}
	return true, enqueueDisputeCheck(ctx, tx, project, StripeID, p, now)
}
