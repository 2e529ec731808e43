package client

import (
	"context"
	"time"
)

func init() {
	operations["createConnectSession"] = "POST /projects/{project}/connectSessions"
	operations["getConnectSession"] = "GET /projects/{project}/connectSessions/{connectSession}"
}

// ConnectAppearance is how the hosted pages look.
type ConnectAppearance struct {
	Theme string `json:"theme"`
}

// ConnectIntent is what a Connect session lets its user do: Type and the
// object of that type (a map, as the intents' fields differ).
type ConnectIntent struct {
	Type                    string         `json:"type"`
	CheckoutNewSubscription map[string]any `json:"checkoutNewSubscription,omitempty"`
	CheckoutAddon           map[string]any `json:"checkoutAddon,omitempty"`
	ChangeSubscription      map[string]any `json:"changeSubscription,omitempty"`
	CancelSubscription      map[string]any `json:"cancelSubscription,omitempty"`
	ResumeSubscription      map[string]any `json:"resumeSubscription,omitempty"`
	CompletePorting         map[string]any `json:"completePorting,omitempty"`
	ConfirmPayment          map[string]any `json:"confirmPayment,omitempty"`
	UpdatePaymentMethod     map[string]any `json:"updatePaymentMethod,omitempty"`
	UpdateUserAddress       map[string]any `json:"updateUserAddress,omitempty"`
	UpdateUserFullName      map[string]any `json:"updateUserFullName,omitempty"`
	ViewEsimInstallation    map[string]any `json:"viewEsimInstallation,omitempty"`
	ViewSubscription        map[string]any `json:"viewSubscription,omitempty"`
	ViewSubscriptions       map[string]any `json:"viewSubscriptions,omitempty"`
}

// ConnectSession is a session for the hosted end-user pages. URL is set
// only in the answer of CreateConnectSession: hand it to the user, never
// store or log it.
type ConnectSession struct {
	Object      string            `json:"object"`
	ID          string            `json:"id"`
	Appearance  ConnectAppearance `json:"appearance"`
	CallbackURL *string           `json:"callbackUrl"`
	CompletedAt *time.Time        `json:"completedAt"`
	CreatedAt   time.Time         `json:"createdAt"`
	ExpiresAt   time.Time         `json:"expiresAt"`
	Intent      ConnectIntent     `json:"intent"`
	OpenedAt    *time.Time        `json:"openedAt"`
	Status      string            `json:"status"`
	URL         *string           `json:"url"`
	User        *string           `json:"user"`
}

// ConnectUserDetails name a user who may not exist yet.
type ConnectUserDetails struct {
	Email           string `json:"email"`
	FullName        string `json:"fullName,omitempty"`
	PreferredLocale string `json:"preferredLocale,omitempty"`
	Birthday        string `json:"birthday,omitempty"`
}

// ConnectSessionCreate is the body of CreateConnectSession.
type ConnectSessionCreate struct {
	Appearance  *ConnectAppearance  `json:"appearance,omitempty"`
	CallbackURL string              `json:"callbackUrl,omitempty"`
	Intent      ConnectIntent       `json:"intent"`
	User        string              `json:"user,omitempty"`
	UserDetails *ConnectUserDetails `json:"userDetails,omitempty"`
}

func (c *Client) CreateConnectSession(ctx context.Context, in ConnectSessionCreate) (*ConnectSession, error) {
	return do[ConnectSession](ctx, c, "createConnectSession", nil, nil, in)
}
func (c *Client) GetConnectSession(ctx context.Context, id string) (*ConnectSession, error) {
	return do[ConnectSession](ctx, c, "getConnectSession", ids(id), nil, nil)
}
