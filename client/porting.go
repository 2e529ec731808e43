package client

import (
	"context"
	"encoding/json"
	"time"
)

// Portings, service providers and devices (docs/porting.md,
// docs/devices.md), and the emails a test project captures.

// Porting is schema Porting: a number moving in from another provider.
// PINs are write-only: the API answers only whether one is set.
type Porting struct {
	Object                string           `json:"object"`
	ID                    string           `json:"id"`
	AccountNumber         *string          `json:"accountNumber"`
	AccountPinExists      bool             `json:"accountPinExists"`
	AccountType           json.RawMessage  `json:"accountType"`
	Address               json.RawMessage  `json:"address"`
	Behavior              string           `json:"behavior"`
	BillingPinExists      bool             `json:"billingPinExists"`
	Birthday              *string          `json:"birthday"`
	CanceledAt            *time.Time       `json:"canceledAt"`
	CompletedAt           *time.Time       `json:"completedAt"`
	CreatedAt             time.Time        `json:"createdAt"`
	DeclinedAttempts      int              `json:"declinedAttempts"`
	DeclinedCode          *string          `json:"declinedCode"`
	DeclinedMessage       *string          `json:"declinedMessage"`
	DonorProvider         *ServiceProvider `json:"donorProvider"`
	DonorProviderApproval *bool            `json:"donorProviderApproval"`
	ExpiredAt             *time.Time       `json:"expiredAt"`
	FirstName             *string          `json:"firstName"`
	LastDeclinedAt        *time.Time       `json:"lastDeclinedAt"`
	LastName              *string          `json:"lastName"`
	LastRequestedAt       *time.Time       `json:"lastRequestedAt"`
	PhoneNumber           string           `json:"phoneNumber"`
	Provider              string           `json:"provider"`
	RecipientProvider     ServiceProvider  `json:"recipientProvider"`
	Required              []string         `json:"required"`
	Status                string           `json:"status"`
	Subscription          *string          `json:"subscription"`
	User                  string           `json:"user"`
}

// PortingCreate is schema PortingCreate: a draft porting for a number.
type PortingCreate struct {
	PhoneNumber string `json:"phoneNumber"`
	Provider    string `json:"provider"`
	User        string `json:"user"`
}

// ServiceProvider is schema ServiceProvider: a donor a number can come
// from.
type ServiceProvider struct {
	Object             string   `json:"object"`
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	RecipientProviders []string `json:"recipientProviders"`
}

// Device is schema Device.
type Device struct {
	Object    string            `json:"object"`
	ID        string            `json:"id"`
	CreatedAt time.Time         `json:"createdAt"`
	IMEI      *string           `json:"imei"`
	Metadata  map[string]string `json:"metadata"`
	Model     json.RawMessage   `json:"model"`
	Name      *string           `json:"name"`
	SIMs      []SIM             `json:"sims"`
	User      *User             `json:"user"`
}

// DeviceModelBrand is schema DeviceModelBrand.
type DeviceModelBrand struct {
	Object string `json:"object"`
	Name   string `json:"name"`
}

// Email is schema Email: a message of a test project's outbox.
type Email struct {
	Object    string     `json:"object"`
	ID        string     `json:"id"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Text      string     `json:"text"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"createdAt"`
	SentAt    *time.Time `json:"sentAt"`
}

func (c *Client) CreatePorting(ctx context.Context, in PortingCreate) (*Porting, error) {
	return do[Porting](ctx, c, "createPorting", nil, nil, in)
}

// ListPortings: Filters take user, subscription, status and phoneNumber.
func (c *Client) ListPortings(ctx context.Context, p Page) (*List[Porting], error) {
	return do[List[Porting]](ctx, c, "listPortings", nil, &p, nil)
}
func (c *Client) GetPorting(ctx context.Context, id string) (*Porting, error) {
	return do[Porting](ctx, c, "getPorting", ids(id), nil, nil)
}

// UpdatePorting fills the fields the porting's Required lists; a porting
// that is complete is submitted to the donor.
func (c *Client) UpdatePorting(ctx context.Context, id string, f Fields) (*Porting, error) {
	return do[Porting](ctx, c, "updatePorting", ids(id), nil, f)
}
func (c *Client) CancelPorting(ctx context.Context, id string) (*Porting, error) {
	return do[Porting](ctx, c, "cancelPorting", ids(id), nil, nil)
}

// ListServiceProviders: Filters take recipientProvider.
func (c *Client) ListServiceProviders(ctx context.Context, p Page) (*List[ServiceProvider], error) {
	return do[List[ServiceProvider]](ctx, c, "listServiceProviders", nil, &p, nil)
}

// CreateDevice takes the device as the document's DeviceInput describes
// it.
func (c *Client) CreateDevice(ctx context.Context, in Fields) (*Device, error) {
	return do[Device](ctx, c, "createDevice", nil, nil, in)
}

// ListDevices: Filters take sim and user.
func (c *Client) ListDevices(ctx context.Context, p Page) (*List[Device], error) {
	return do[List[Device]](ctx, c, "listDevices", nil, &p, nil)
}
func (c *Client) GetDevice(ctx context.Context, id string) (*Device, error) {
	return do[Device](ctx, c, "getDevice", ids(id), nil, nil)
}
func (c *Client) UpdateDevice(ctx context.Context, id string, f Fields) (*Device, error) {
	return do[Device](ctx, c, "updateDevice", ids(id), nil, f)
}
func (c *Client) ListDeviceModelBrands(ctx context.Context) (*List[DeviceModelBrand], error) {
	return do[List[DeviceModelBrand]](ctx, c, "listDeviceModelBrands", nil, nil, nil)
}

// ListTestEmails lists what a test project's outbox captured instead of
// sending.
func (c *Client) ListTestEmails(ctx context.Context, p Page) (*List[Email], error) {
	return do[List[Email]](ctx, c, "listTestEmails", nil, &p, nil)
}
