package client

import (
	"encoding/json"
	"time"
)

// The types below are the resources of the OpenAPI document
// (/openapi.json, components.schemas), one struct per schema with one
// field per property: TestClientTypesMatchTheDocument holds them to it.
// Nested objects that clients rarely take apart are kept as
// json.RawMessage, so a new nested field never breaks decoding.

// List is one page of a list: items newest first, and the cursors of the
// neighbouring pages (nil when there is nothing there).
type List[T any] struct {
	Object          string  `json:"object"`
	Items           []T     `json:"items"`
	MoreItemsAfter  *string `json:"moreItemsAfter"`
	MoreItemsBefore *string `json:"moreItemsBefore"`
}

// Page selects a page of a list: Limit items (0 means the server's default
// of 10) older than After or newer than Before, matching Filters (the
// list's query parameters, such as {"status": "active"}).
type Page struct {
	After, Before string
	Limit         int
	Filters       map[string]string
}

// Price is an amount in minor units of a currency (schema Price).
type Price struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Project is schema Project.
type Project struct {
	Object     string          `json:"object"`
	ID         string          `json:"id"`
	Billing    json.RawMessage `json:"billing"`
	Consent    *Consent        `json:"consent"`
	CreatedAt  time.Time       `json:"createdAt"`
	Locales    []string        `json:"locales"`
	Name       string          `json:"name"`
	Support    json.RawMessage `json:"support"`
	TaxCountry *string         `json:"taxCountry"`
	Type       string          `json:"type"`
}

// User is schema User.
type User struct {
	Object          string            `json:"object"`
	ID              string            `json:"id"`
	Birthday        *string           `json:"birthday"`
	CreatedAt       time.Time         `json:"createdAt"`
	Email           string            `json:"email"`
	EmailVerified   bool              `json:"emailVerified"`
	FullName        *string           `json:"fullName"`
	Metadata        map[string]string `json:"metadata"`
	PreferredLocale string            `json:"preferredLocale"`
	Status          string            `json:"status"`
}

// UserCreate is schema UserCreate.
type UserCreate struct {
	Email           string            `json:"email"`
	FullName        string            `json:"fullName,omitempty"`
	Birthday        string            `json:"birthday,omitempty"`
	PreferredLocale string            `json:"preferredLocale,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
}

// UserAddress is schema UserAddress.
type UserAddress struct {
	Object     string    `json:"object"`
	ID         string    `json:"id"`
	City       string    `json:"city"`
	Country    string    `json:"country"`
	Line1      string    `json:"line1"`
	Line2      *string   `json:"line2"`
	PostalCode *string   `json:"postalCode"`
	State      *string   `json:"state"`
	User       string    `json:"user"`
	CreatedAt  time.Time `json:"createdAt"`
}

// UserAddressCreate is schema UserAddressCreate.
type UserAddressCreate struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country"`
}

// Plan is schema Plan.
type Plan struct {
	Object       string            `json:"object"`
	ID           string            `json:"id"`
	Allowances   json.RawMessage   `json:"allowances"`
	Coverage     json.RawMessage   `json:"coverage"`
	CreatedAt    time.Time         `json:"createdAt"`
	Description  *string           `json:"description"`
	Image        *string           `json:"image"`
	Limits       json.RawMessage   `json:"limits"`
	Metadata     map[string]string `json:"metadata"`
	Name         string            `json:"name"`
	Price        Price             `json:"price"`
	Provider     string            `json:"provider"`
	Requirements json.RawMessage   `json:"requirements"`
	SimTypes     []string          `json:"simTypes"`
	Status       string            `json:"status"`
	Validity     json.RawMessage   `json:"validity"`
}

// Subscription is schema Subscription.
type Subscription struct {
	Object              string            `json:"object"`
	ID                  string            `json:"id"`
	ActivatedAt         *time.Time        `json:"activatedAt"`
	Billing             json.RawMessage   `json:"billing"`
	CanceledAt          *time.Time        `json:"canceledAt"`
	CancellationDetails json.RawMessage   `json:"cancellationDetails"`
	CreatedAt           time.Time         `json:"createdAt"`
	CurrentPeriod       *Period           `json:"currentPeriod"`
	EarliestEndAt       *time.Time        `json:"earliestEndAt"`
	EndedAt             *time.Time        `json:"endedAt"`
	FirstUsageAt        *time.Time        `json:"firstUsageAt"`
	LastPorting         json.RawMessage   `json:"lastPorting"`
	Metadata            map[string]string `json:"metadata"`
	PhoneNumber         *string           `json:"phoneNumber"`
	Plan                Plan              `json:"plan"`
	Porting             json.RawMessage   `json:"porting"`
	SIM                 *SIM              `json:"sim"`
	Status              string            `json:"status"`
	User                User              `json:"user"`
	UserAddress         json.RawMessage   `json:"userAddress"`
}

// Period is schema SubscriptionPeriod.
type Period struct {
	Number int       `json:"number"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

// SubscriptionCreate is schema SubscriptionCreate. SIM is a SIM id or
// "auto".
type SubscriptionCreate struct {
	Plan        string            `json:"plan"`
	User        string            `json:"user"`
	SIM         string            `json:"sim"`
	UserAddress string            `json:"userAddress,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Billing     json.RawMessage   `json:"billing,omitempty"`
	VoucherCode string            `json:"voucherCode,omitempty"`
	// Porting is a draft porting whose number the subscription takes.
	Porting string `json:"porting,omitempty"`
	// Device is a device of the user, for plans that require one.
	Device string `json:"device,omitempty"`
}

// SubscriptionCancel is schema SubscriptionCancel, the body of cancel and end.
type SubscriptionCancel struct {
	UserReason  string `json:"userReason,omitempty"`
	UserComment string `json:"userComment,omitempty"`
}

// SIM is schema Sim.
type SIM struct {
	Object    string            `json:"object"`
	ID        string            `json:"id"`
	CreatedAt time.Time         `json:"createdAt"`
	ICCID     string            `json:"iccid"`
	Metadata  map[string]string `json:"metadata"`
	Provider  string            `json:"provider"`
	Status    string            `json:"status"`
	Type      string            `json:"type"`
}

// SIMCreate is schema SimCreate.
type SIMCreate struct {
	ICCID    string            `json:"iccid"`
	Provider string            `json:"provider"`
	Type     string            `json:"type,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// SIMCredentials is schema SimCredentials.
type SIMCredentials struct {
	Object            string `json:"object"`
	ActivationCode    string `json:"activationCode"`
	AndroidInstallURL string `json:"androidInstallUrl"`
	IOSInstallURL     string `json:"iosInstallUrl"`
	QRCodeURL         string `json:"qrCodeUrl"`
	SIM               string `json:"sim"`
}

// Quote is schema Quote.
type Quote struct {
	Object             string          `json:"object"`
	ID                 string          `json:"id"`
	Address            json.RawMessage `json:"address"`
	CreatedAt          time.Time       `json:"createdAt"`
	Discount           Price           `json:"discount"`
	ExpiredAt          time.Time       `json:"expiredAt"`
	Fees               json.RawMessage `json:"fees"`
	LineItems          json.RawMessage `json:"lineItems"`
	Reason             string          `json:"reason"`
	Subtotal           Price           `json:"subtotal"`
	Tax                Price           `json:"tax"`
	TaxExemptionReason *string         `json:"taxExemptionReason"`
	Total              Price           `json:"total"`
	User               string          `json:"user"`
	Voucher            json.RawMessage `json:"voucher"`
}

// QuoteCreate is schema QuoteCreate: a plan for a user (Plan, User,
// Address) or an add-on for a subscription (Addon, Subscription).
type QuoteCreate struct {
	Plan         string          `json:"plan,omitempty"`
	User         string          `json:"user,omitempty"`
	Addon        string          `json:"addon,omitempty"`
	Subscription string          `json:"subscription,omitempty"`
	Address      json.RawMessage `json:"address,omitempty"`
	VoucherCode  string          `json:"voucherCode,omitempty"`
}

// Invoice is schema Invoice.
type Invoice struct {
	Object             string          `json:"object"`
	ID                 string          `json:"id"`
	Address            json.RawMessage `json:"address"`
	AppliedBalance     Price           `json:"appliedBalance"`
	CreatedAt          time.Time       `json:"createdAt"`
	Discount           Price           `json:"discount"`
	DueAt              *time.Time      `json:"dueAt"`
	Fees               json.RawMessage `json:"fees"`
	FileURL            *string         `json:"fileUrl"`
	FinalizedAt        *time.Time      `json:"finalizedAt"`
	LineItems          json.RawMessage `json:"lineItems"`
	PaidAt             *time.Time      `json:"paidAt"`
	Payment            json.RawMessage `json:"payment"`
	Period             json.RawMessage `json:"period"`
	Reason             string          `json:"reason"`
	Status             string          `json:"status"`
	Subscription       string          `json:"subscription"`
	Subtotal           Price           `json:"subtotal"`
	Tax                Price           `json:"tax"`
	TaxExemptionReason *string         `json:"taxExemptionReason"`
	Total              Price           `json:"total"`
	User               string          `json:"user"`
	VoidedAt           *time.Time      `json:"voidedAt"`
}

// CreditNote is schema CreditNote.
type CreditNote struct {
	Object    string          `json:"object"`
	ID        string          `json:"id"`
	CreatedAt time.Time       `json:"createdAt"`
	CreditTo  string          `json:"creditTo"`
	Fees      json.RawMessage `json:"fees"`
	FileURL   *string         `json:"fileUrl"`
	Invoice   string          `json:"invoice"`
	LineItems json.RawMessage `json:"lineItems"`
	Status    string          `json:"status"`
	Subtotal  Price           `json:"subtotal"`
	Tax       Price           `json:"tax"`
	Total     Price           `json:"total"`
	VoidedAt  *time.Time      `json:"voidedAt"`
}

// CreditNoteCreate is schema CreditNoteCreate.
type CreditNoteCreate struct {
	Invoice   string          `json:"invoice"`
	CreditTo  string          `json:"creditTo,omitempty"`
	LineItems json.RawMessage `json:"lineItems,omitempty"`
	Fees      json.RawMessage `json:"fees,omitempty"`
}

// Event is schema Event: a CloudEvents 1.0 envelope.
type Event struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Data            json.RawMessage `json:"data"`
	DataContentType string          `json:"datacontenttype"`
	Project         string          `json:"project"`
	Source          string          `json:"source"`
	SpecVersion     string          `json:"specversion"`
	Time            time.Time       `json:"time"`
	Version         string          `json:"version"`
	Actor           json.RawMessage `json:"actor"`
	PreviousData    json.RawMessage `json:"previousData,omitempty"`
}

// WebhookEndpoint is schema WebhookEndpoint. Secret is set only in the
// answers to create and rotateSecret.
type WebhookEndpoint struct {
	Object        string    `json:"object"`
	ID            string    `json:"id"`
	URL           string    `json:"url"`
	Description   *string   `json:"description"`
	EnabledEvents []string  `json:"enabledEvents"`
	Status        string    `json:"status"`
	Secret        string    `json:"secret,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// WebhookEndpointCreate is schema WebhookEndpointCreate; nil
// EnabledEvents means every event type.
type WebhookEndpointCreate struct {
	URL           string   `json:"url"`
	EnabledEvents []string `json:"enabledEvents,omitempty"`
	Description   string   `json:"description,omitempty"`
	Status        string   `json:"status,omitempty"`
}

// WebhookDelivery is schema WebhookDelivery.
type WebhookDelivery struct {
	Object        string          `json:"object"`
	ID            string          `json:"id"`
	Endpoint      string          `json:"endpoint"`
	Event         string          `json:"event"`
	Status        string          `json:"status"`
	NextAttemptAt *time.Time      `json:"nextAttemptAt"`
	Attempts      json.RawMessage `json:"attempts"`
	CreatedAt     time.Time       `json:"createdAt"`
	UpdatedAt     time.Time       `json:"updatedAt"`
}

// WebhookRecovery is schema WebhookRecovery.
type WebhookRecovery struct {
	Object     string    `json:"object"`
	Endpoint   string    `json:"endpoint"`
	Since      time.Time `json:"since"`
	Deliveries int       `json:"deliveries"`
}

// TestClock is schema TestClock: a test project's stored clock, or a live
// project's wall clock (Type "live").
type TestClock struct {
	Object string    `json:"object"`
	Type   string    `json:"type"`
	Now    time.Time `json:"now"`
}

// TestClockAdvanced is schema TestClockAdvanced.
type TestClockAdvanced struct {
	Object        string    `json:"object"`
	Type          string    `json:"type"`
	Now           time.Time `json:"now"`
	TimerFailures []Timer   `json:"timerFailures"`
}

// Timer is schema Timer: scheduled work that failed.
type Timer struct {
	Object    string     `json:"object"`
	ID        string     `json:"id"`
	Project   string     `json:"project"`
	Kind      string     `json:"kind"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	DueAt     *time.Time `json:"dueAt"`
	Attempts  int        `json:"attempts"`
	LastError *string    `json:"lastError"`
	FailedAt  *time.Time `json:"failedAt"`
	DeadAt    *time.Time `json:"deadAt"`
}

// TestSnapshot is schema TestSnapshot.
type TestSnapshot struct {
	Object    string    `json:"object"`
	ID        string    `json:"id"`
	Project   string    `json:"project"`
	Name      string    `json:"name"`
	Clock     time.Time `json:"clock"`
	Rows      int64     `json:"rows"`
	CreatedAt time.Time `json:"createdAt"`
}

// ProviderFault is schema ProviderFault.
type ProviderFault struct {
	Object    string `json:"object"`
	Provider  string `json:"provider"`
	Project   string `json:"project"`
	Operation string `json:"operation"`
	Count     int    `json:"count"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Latency   string `json:"latency"`
	Hang      bool   `json:"hang"`
}

// ProviderFaultInput is schema ProviderFaultInput.
type ProviderFaultInput struct {
	Operation string `json:"operation,omitempty"`
	Count     int    `json:"count,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	Latency   string `json:"latency,omitempty"`
	Hang      bool   `json:"hang,omitempty"`
}
