// Package payments collects invoices through a payment provider: the
// provider interface and its built-in simulator, the users' payment
// methods, and the payment that collects each invoice with its retries,
// refunds and dispute (docs/payments.md).
//
// Every call to a provider is an outbound operation (docs/outbound.md):
// the transaction that decides a charge records it, a worker makes the
// call with the operation id as idempotency key, and a new transaction
// applies the outcome. Package lines applies the outcomes that move an
// invoice or a subscription.
package payments

import (
	"context"
	"time"
)

// Provider is a payment service provider as cellgate uses it. Every
// method that moves money takes an idempotency key: calls repeated with
// the same key move money once.
type Provider interface {
	// ID names the provider in payment methods ("stripe", "simulator").
	ID() string
	// CreateCustomer makes the provider's record of a user.
	CreateCustomer(ctx context.Context, key string, c Customer) (string, error)
	// AttachMethod turns a token made by the provider's client side into a
	// payment method of the customer.
	AttachMethod(ctx context.Context, key, customer, token string) (Method, error)
	// Charge takes money; a decline is a result, not an error (an error is
	// a call that did not get an answer, and is retried).
	Charge(ctx context.Context, c ChargeRequest) (ChargeResult, error)
	// Refund gives back part or all of a charge.
	Refund(ctx context.Context, r RefundRequest) (RefundResult, error)
	// Dispute reads the state of a charge's dispute at now.
	Dispute(ctx context.Context, chargeRef string, now time.Time) (DisputeState, error)
}

// Customer is what the provider is told of a user.
type Customer struct {
	Project, User, Email string
}

// Method is a payment method as the provider describes it.
type Method struct {
	Ref, Type, Brand, Last4, Status string
	// ClientSecret lets the user's device confirm a method that needs it.
	ClientSecret string
}

// ChargeRequest is one charge of a payment.
type ChargeRequest struct {
	Key, Project, Customer, Method string
	Amount                         int64
	Currency, Description          string
	// Now is the project's clock.
	Now time.Time
}

// Charge outcomes.
const (
	ChargeSucceeded = "succeeded"
	ChargeDeclined  = "declined"
)

// ChargeResult is the provider's answer to a charge.
type ChargeResult struct {
	Status string `json:"status"`
	Ref    string `json:"ref,omitempty"`
	// Code is a payment error code of reference §1.5 for a decline.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// CheckDisputeAt, when set, is when the provider will have news of a
	// dispute on the charge (the simulator's stand-in for a webhook).
	CheckDisputeAt *time.Time `json:"checkDisputeAt,omitempty"`
}

// RefundRequest gives back Amount of a charge.
type RefundRequest struct {
	Key, Project, ChargeRef string
	Amount                  int64
	Currency                string
	Now                     time.Time
}

// RefundResult is the provider's answer to a refund.
type RefundResult struct {
	Ref    string `json:"ref"`
	Status string `json:"status"`
}

// Dispute statuses.
const (
	DisputeNone = ""
	DisputeOpen = "open"
	DisputeLost = "lost"
	DisputeWon  = "won"
)

// DisputeState is a charge's dispute as the provider sees it.
type DisputeState struct {
	Status   string     `json:"status"`
	ClosedAt *time.Time `json:"closedAt,omitempty"`
	// NextCheckAt is when to ask again about an open dispute.
	NextCheckAt *time.Time `json:"nextCheckAt,omitempty"`
}
