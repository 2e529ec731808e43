package payments

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"

	"cellgate/internal/errs"
	"cellgate/internal/outbound"
)

// Stripe is the provider on Stripe's API through the official stripe-go
// library, with the project's secret key. Every call that moves money
// sends the operation's idempotency key as Stripe's Idempotency-Key.
type Stripe struct {
	client *stripe.Client
}

// NewStripe builds the adapter for a project's settings; apiBase, when
// set, replaces Stripe's API URL (stripe-mock in tests).
func NewStripe(set *Settings, hc *http.Client) *Stripe {
	cfg := &stripe.BackendConfig{HTTPClient: hc, MaxNetworkRetries: stripe.Int64(0),
		// The library's own log would name request ids and paths; errors
		// reach cellgate's log through the operation that failed.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}}
	if set.Stripe != nil && set.Stripe.APIBase != nil {
		cfg.URL = stripe.String(strings.TrimRight(*set.Stripe.APIBase, "/"))
	}
	backends := &stripe.Backends{
		API:         stripe.GetBackendWithConfig(stripe.APIBackend, cfg),
		Connect:     stripe.GetBackendWithConfig(stripe.ConnectBackend, cfg),
		Uploads:     stripe.GetBackendWithConfig(stripe.UploadsBackend, cfg),
		MeterEvents: stripe.GetBackendWithConfig(stripe.MeterEventsBackend, cfg),
	}
	return &Stripe{client: stripe.NewClient(set.SecretKey(), stripe.WithBackends(backends))}
}

// ID implements Provider.
func (s *Stripe) ID() string { return StripeID }

// CreateCustomer implements Provider.
func (s *Stripe) CreateCustomer(ctx context.Context, key string, c Customer) (string, error) {
	p := &stripe.CustomerCreateParams{Metadata: map[string]string{"cellgate_project": c.Project, "cellgate_user": c.User}}
	if c.Email != "" {
		p.Email = stripe.String(c.Email)
	}
	p.SetIdempotencyKey("cus-" + key)
	cus, err := s.client.V1Customers.Create(ctx, p)
	if err != nil {
		return "", stripeError(err)
	}
	return cus.ID, nil
}

// AttachMethod implements Provider: token is a PaymentMethod id made by
// Stripe's client side (Stripe.js or a mobile SDK).
func (s *Stripe) AttachMethod(ctx context.Context, key, customer, token string) (Method, error) {
	p := &stripe.PaymentMethodAttachParams{Customer: stripe.String(customer)}
	p.SetIdempotencyKey("att-" + key)
	pm, err := s.client.V1PaymentMethods.Attach(ctx, token, p)
	if err != nil {
		return Method{}, stripeError(err)
	}
	m := Method{Ref: pm.ID, Type: "card", Brand: "unknown", Status: "available"}
	if pm.Card != nil {
		m.Last4 = pm.Card.Last4
		if pm.Card.Brand != "" {
			m.Brand = string(pm.Card.Brand)
		}
		if pm.Card.Wallet != nil {
			switch pm.Card.Wallet.Type {
			case stripe.PaymentMethodCardWalletTypeApplePay:
				m.Type = "applePay"
			case stripe.PaymentMethodCardWalletTypeGooglePay:
				m.Type = "googlePay"
			}
		}
	}
	return m, nil
}

// Charge implements Provider: an off-session PaymentIntent confirmed at
// once on the customer's method.
func (s *Stripe) Charge(ctx context.Context, c ChargeRequest) (ChargeResult, error) {
	p := &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(c.Amount), Currency: stripe.String(strings.ToLower(c.Currency)),
		Customer: stripe.String(c.Customer), PaymentMethod: stripe.String(c.Method), Confirm: stripe.Bool(true),
		OffSession: stripe.Bool(true), Description: stripe.String(c.Description),
		Metadata: map[string]string{"cellgate_project": c.Project, "cellgate_operation": c.Key}}
	p.SetIdempotencyKey(c.Key)
	pi, err := s.client.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
			code := declineCode(se)
			return ChargeResult{Status: ChargeDeclined, Code: code, Message: declineMessage(code)}, nil
		}
		return ChargeResult{}, stripeError(err)
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded {
		// requires_action and the like: the holder must confirm.
		return ChargeResult{Status: ChargeDeclined, Code: "paymentMethodDeclined", Message: "The payment needs the holder's confirmation."}, nil
	}
	return ChargeResult{Status: ChargeSucceeded, Ref: pi.ID}, nil
}

// Refund implements Provider.
func (s *Stripe) Refund(ctx context.Context, r RefundRequest) (RefundResult, error) {
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(r.ChargeRef), Amount: stripe.Int64(r.Amount)}
	p.SetIdempotencyKey(r.Key)
	re, err := s.client.V1Refunds.Create(ctx, p)
	if err != nil {
		return RefundResult{}, stripeError(err)
	}
	return RefundResult{Ref: re.ID, Status: string(re.Status)}, nil
}

// Dispute implements Provider: the latest dispute of the PaymentIntent.
func (s *Stripe) Dispute(ctx context.Context, chargeRef string, now time.Time) (DisputeState, error) {
	p := &stripe.DisputeListParams{PaymentIntent: stripe.String(chargeRef)}
	p.Limit = stripe.Int64(1)
	for d, err := range s.client.V1Disputes.List(ctx, p) {
		if err != nil {
			return DisputeState{}, stripeError(err)
		}
		switch d.Status {
		case stripe.DisputeStatusWon:
			return DisputeState{Status: DisputeWon, ClosedAt: &now}, nil
		case stripe.DisputeStatusLost:
			return DisputeState{Status: DisputeLost, ClosedAt: &now}, nil
		}
		return DisputeState{Status: DisputeOpen}, nil
	}
	return DisputeState{}, nil
}

// stripeDeclines maps Stripe's decline codes to reference §1.5.
var stripeDeclines = map[string]string{
	"insufficient_funds":      "paymentCardInsufficientFunds",
	"expired_card":            "paymentCardExpired",
	"incorrect_cvc":           "paymentCardCvcInvalid",
	"invalid_cvc":             "paymentCardCvcInvalid",
	"incorrect_number":        "paymentCardNumberInvalid",
	"invalid_number":          "paymentCardNumberInvalid",
	"card_not_supported":      "paymentCardNotSupported",
	"card_declined":           "paymentCardDeclined",
	"generic_decline":         "paymentCardDeclined",
	"authentication_required": "paymentMethodDeclined",
}

func declineCode(se *stripe.Error) string {
	for _, c := range []string{string(se.DeclineCode), string(se.Code)} {
		if code, ok := stripeDeclines[c]; ok {
			return code
		}
	}
	return "paymentFailed"
}

func declineMessage(code string) string {
	if m, ok := declineMessages[code]; ok {
		return m
	}
	return "The payment was declined."
}

// stripeError turns a Stripe error into cellgate's: a request Stripe
// refuses as invalid is not retried; its message (which can quote the
// request) is not passed on, only its code.
func stripeError(err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return err
	}
	if se.Type == stripe.ErrorTypeInvalidRequest || se.Type == stripe.ErrorTypeCard {
		return outbound.PermanentError(errs.Invalid("paymentMethodAccountInvalid", "Stripe refused the request (%s, %s).", se.Type, se.Code))
	}
	return errors.New("stripe: " + string(se.Type) + " " + string(se.Code) + " (HTTP " + http.StatusText(se.HTTPStatusCode) + ")")
}

// StripeFactory builds the adapter of a project on hc.
func StripeFactory(hc *http.Client) func(*Settings) Provider {
	return func(set *Settings) Provider { return NewStripe(set, hc) }
}
