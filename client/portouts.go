package client

import (
	"context"
	"time"
)

// Consent is schema Consent: which actions wait for the user's consent.
type Consent struct {
	DeliveryMethods []string `json:"deliveryMethods"`
	Actions         []string `json:"actions"`
}

// PortOut is schema PortOut.
type PortOut struct {
	Object        string     `json:"object"`
	ID            string     `json:"id"`
	Behavior      string     `json:"behavior"`
	CreatedAt     time.Time  `json:"createdAt"`
	ExpiredAt     *time.Time `json:"expiredAt"`
	FailureReason *string    `json:"failureReason"`
	Status        string     `json:"status"`
	Subscription  string     `json:"subscription"`
	User          string     `json:"user"`
}

// PortOutCreate is schema PortOutCreate.
type PortOutCreate struct {
	Subscription string `json:"subscription"`
}

// PortOutCredentials is schema PortOutCredentials: a secret.
type PortOutCredentials struct {
	Object        string `json:"object"`
	AccountNumber string `json:"accountNumber"`
	AccountPin    string `json:"accountPin"`
	PortOut       string `json:"portOut"`
}

// ConsentRequest is schema ConsentRequest.
type ConsentRequest struct {
	Object         string     `json:"object"`
	ID             string     `json:"id"`
	Action         string     `json:"action"`
	CreatedAt      time.Time  `json:"createdAt"`
	DecidedAt      *time.Time `json:"decidedAt"`
	DeliveryMethod string     `json:"deliveryMethod"`
	ExpiresAt      time.Time  `json:"expiresAt"`
	Status         string     `json:"status"`
	Subject        string     `json:"subject"`
	User           string     `json:"user"`
}

// ConsentDecision is schema ConsentDecision: the user's token.
type ConsentDecision struct {
	Token string `json:"token"`
}

func init() {
	for id, route := range map[string]string{
		"createPortOut":         "POST /projects/{project}/portOuts",
		"listPortOuts":          "GET /projects/{project}/portOuts",
		"getPortOut":            "GET /projects/{project}/portOuts/{portOut}",
		"getPortOutCredentials": "GET /projects/{project}/portOuts/{portOut}/credentials",
		"listConsentRequests":   "GET /projects/{project}/consentRequests",
		"getConsentRequest":     "GET /projects/{project}/consentRequests/{consentRequest}",
		"cancelConsentRequest":  "POST /projects/{project}/consentRequests/{consentRequest}/cancel",
		"approveConsentRequest": "POST /consentRequests/approve",
		"rejectConsentRequest":  "POST /consentRequests/reject",
		"completeTestPortOut":   "POST /testing/projects/{project}/portOuts/{portOut}/complete",
	} {
		operations[id] = route
	}
}

func (c *Client) CreatePortOut(ctx context.Context, in PortOutCreate) (*PortOut, error) {
	return do[PortOut](ctx, c, "createPortOut", nil, nil, in)
}
func (c *Client) ListPortOuts(ctx context.Context, p Page) (*List[PortOut], error) {
	return do[List[PortOut]](ctx, c, "listPortOuts", nil, &p, nil)
}
func (c *Client) GetPortOut(ctx context.Context, id string) (*PortOut, error) {
	return do[PortOut](ctx, c, "getPortOut", ids(id), nil, nil)
}

// GetPortOutCredentials reads an issued port-out's account number and
// PIN: keep them out of logs.
func (c *Client) GetPortOutCredentials(ctx context.Context, id string) (*PortOutCredentials, error) {
	return do[PortOutCredentials](ctx, c, "getPortOutCredentials", ids(id), nil, nil)
}
func (c *Client) ListConsentRequests(ctx context.Context, p Page) (*List[ConsentRequest], error) {
	return do[List[ConsentRequest]](ctx, c, "listConsentRequests", nil, &p, nil)
}
func (c *Client) GetConsentRequest(ctx context.Context, id string) (*ConsentRequest, error) {
	return do[ConsentRequest](ctx, c, "getConsentRequest", ids(id), nil, nil)
}
func (c *Client) CancelConsentRequest(ctx context.Context, id string) (*ConsentRequest, error) {
	return do[ConsentRequest](ctx, c, "cancelConsentRequest", ids(id), nil, nil)
}

// ApproveConsentRequest and RejectConsentRequest answer for the user with
// the token of the consent email; they need no API key.
func (c *Client) ApproveConsentRequest(ctx context.Context, token string) (*ConsentRequest, error) {
	return do[ConsentRequest](ctx, c, "approveConsentRequest", nil, nil, ConsentDecision{Token: token})
}
func (c *Client) RejectConsentRequest(ctx context.Context, token string) (*ConsentRequest, error) {
	return do[ConsentRequest](ctx, c, "rejectConsentRequest", nil, nil, ConsentDecision{Token: token})
}

// CompleteTestPortOut plays the recipient carrier on a simulated provider
// of a test project: the number of an issued port-out leaves.
func (c *Client) CompleteTestPortOut(ctx context.Context, id string) (*PortOut, error) {
	return do[PortOut](ctx, c, "completeTestPortOut", ids(id), nil, nil)
}
