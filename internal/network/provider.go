// Package network is the seam between cellgate and the carriers: the
// Provider contract, the providers' configuration, the built-in simulator
// and the HTTP adapter protocol (docs/carriers.md).
package network

import (
	"context"
	"time"
)

// Provider is what cellgate asks of a carrier. Calls are made by the
// outbound worker after the deciding transaction committed; every write
// carries an idempotency key, so a repeated call has its effect once and
// gets the same answer.
type Provider interface {
	// ProvisionESIM registers an eSIM profile whose ICCID and matching id
	// cellgate allocated (AllocateESIM), like an SM-DP+ download order.
	ProvisionESIM(ctx context.Context, req ProvisionRequest) error
	// Activate starts service on a line. The carrier confirms at ReadyAt;
	// a zero ReadyAt means the outcome comes later by callback.
	Activate(ctx context.Context, req LineRequest) (Activation, error)
	// Deactivate stops service on a line.
	Deactivate(ctx context.Context, req LineRequest) error
	// Restrict allows no data and only incoming calls and SMS.
	Restrict(ctx context.Context, req LineRequest) error
	// Restore lifts a restriction.
	Restore(ctx context.Context, req LineRequest) error
	// SwapSIM moves a number from one SIM to another.
	SwapSIM(ctx context.Context, req SwapRequest) error
	// ChangePlan sets the line's allowances.
	ChangePlan(ctx context.Context, req PlanChangeRequest) error
	// SetAddonAllowance adds an add-on's allowances to the line (Active)
	// or takes them away when the add-on ends.
	SetAddonAllowance(ctx context.Context, req AddonAllowanceRequest) error
	// Throttle caps the line's data bandwidth under a fair-use policy; a
	// BitsPerSecond of 0 lifts the cap.
	Throttle(ctx context.Context, req ThrottleRequest) error
	// SubmitPorting asks the donor carrier to move a number in.
	SubmitPorting(ctx context.Context, req PortingRequest) (PortingStatus, error)
	// UpdatePorting corrects a porting's details; a declined porting is
	// submitted again.
	UpdatePorting(ctx context.Context, req PortingRequest) (PortingStatus, error)
	// CancelPorting withdraws a pending porting.
	CancelPorting(ctx context.Context, req PortingRef) (PortingStatus, error)
	// PortingStatus reads where a porting stands at req.Now.
	PortingStatus(ctx context.Context, req PortingRef) (PortingStatus, error)
	// PortOutCredentials issues the account number and PIN another carrier
	// needs to take the number away.
	PortOutCredentials(ctx context.Context, req LineRequest) (PortOutCredentials, error)
	// ESIMProfile reads the state of an eSIM profile.
	ESIMProfile(ctx context.Context, req ProfileRequest) (ESIMProfileState, error)
	// Usage returns usage records reported after a cursor, oldest report
	// first.
	Usage(ctx context.Context, req UsageRequest) (UsageBatch, error)
}

// Meta is carried by every request. On the wire it travels in the
// envelope, not in the operation's body.
type Meta struct {
	// Key is the idempotency key: the same key means the same effect once
	// and the same answer. Writes need one; reads ignore it.
	Key string `json:"-"`
	// Project is the cellgate project the call is made for.
	Project string `json:"-"`
	// Now is the project's clock. Simulators act at this time, so test
	// clocks replay exactly; real carriers ignore it.
	Now time.Time `json:"-"`
}

// ProvisionRequest registers an eSIM profile.
type ProvisionRequest struct {
	Meta
	ICCID      string `json:"iccid"`
	MatchingID string `json:"matchingId"`
	SMDPHost   string `json:"smdpHost"`
}

// LineRequest names a line at the carrier.
type LineRequest struct {
	Meta
	ICCID       string `json:"iccid"`
	PhoneNumber string `json:"phoneNumber"`
}

// Activation is a carrier's answer to an activation.
type Activation struct {
	// ReadyAt is when service starts; zero: a callback will tell.
	ReadyAt time.Time `json:"readyAt"`
}

// SwapRequest moves PhoneNumber from OldICCID to NewICCID.
type SwapRequest struct {
	Meta
	PhoneNumber string `json:"phoneNumber"`
	OldICCID    string `json:"oldIccid"`
	NewICCID    string `json:"newIccid"`
}

// Allowances of a plan at the carrier; nil means unlimited.
type Allowances struct {
	DataBytes    *int64 `json:"dataBytes"`
	VoiceSeconds *int64 `json:"voiceSeconds"`
	SMSMessages  *int64 `json:"smsMessages"`
}

// PlanChangeRequest sets a line's allowances.
type PlanChangeRequest struct {
	Meta
	ICCID       string     `json:"iccid"`
	PhoneNumber string     `json:"phoneNumber"`
	Allowances  Allowances `json:"allowances"`
}

// AddonAllowanceRequest tells the carrier that an add-on of the line
// started (Active, with its allowances, usable until Until) or ended.
// SubscriptionAddon names the add-on, so a line can hold several.
type AddonAllowanceRequest struct {
	Meta
	ICCID             string     `json:"iccid"`
	PhoneNumber       string     `json:"phoneNumber"`
	SubscriptionAddon string     `json:"subscriptionAddon"`
	Active            bool       `json:"active"`
	Allowances        Allowances `json:"allowances"`
	Until             time.Time  `json:"until"`
}

// ThrottleRequest caps (or, with BitsPerSecond 0, uncaps) a line's data
// bandwidth.
type ThrottleRequest struct {
	Meta
	ICCID         string `json:"iccid"`
	PhoneNumber   string `json:"phoneNumber"`
	BitsPerSecond int64  `json:"bitsPerSecond"`
}

// PortingRequest carries what a donor carrier checks before releasing a
// number. Reference is cellgate's porting id; it names the porting in
// every later call.
type PortingRequest struct {
	Meta
	Reference     string `json:"reference"`
	PhoneNumber   string `json:"phoneNumber"`
	ICCID         string `json:"iccid"`
	DonorProvider string `json:"donorProvider"`
	AccountNumber string `json:"accountNumber"`
	AccountPIN    string `json:"accountPin"`
	FirstName     string `json:"firstName"`
	LastName      string `json:"lastName"`
	PostalCode    string `json:"postalCode"`
}

// PortingRef names a porting.
type PortingRef struct {
	Meta
	Reference string `json:"reference"`
}

// Porting statuses at the carrier.
const (
	PortingPending   = "pending"
	PortingCompleted = "completed"
	PortingDeclined  = "declined"
	PortingCanceled  = "canceled"
)

// PortingStatus is where a porting stands.
type PortingStatus struct {
	Reference string `json:"reference"`
	Status    string `json:"status"`
	// DeclineCode is one of the reference's porting decline codes
	// (DeclineCodes) when Status is declined.
	DeclineCode    string `json:"declineCode,omitempty"`
	DeclineMessage string `json:"declineMessage,omitempty"`
	// CompletesAt is when a pending porting is expected to finish; zero
	// when unknown or finished.
	CompletesAt time.Time `json:"completesAt,omitzero"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// PortOutCredentials let another carrier take a number away.
type PortOutCredentials struct {
	AccountNumber string    `json:"accountNumber"`
	PIN           string    `json:"pin"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

// ProfileRequest names an eSIM profile.
type ProfileRequest struct {
	Meta
	ICCID string `json:"iccid"`
}

// eSIM profile states, as the reference's eSimProfile object has them.
const (
	ProfileDeleted   = "deleted"
	ProfileDisabled  = "disabled"
	ProfileEnabled   = "enabled"
	ProfileInstalled = "installed"
	ProfileUnknown   = "unknown"
)

// ESIMProfileState is the state of an eSIM profile on its device.
type ESIMProfileState struct {
	ICCID     string    `json:"iccid"`
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// UsageRequest asks for usage reported after Cursor ("" = from the start).
type UsageRequest struct {
	Meta
	Cursor string `json:"cursor"`
	Limit  int    `json:"limit"`
}

// MaxUsageLimit caps one usage batch; a Limit of 0 means this.
const MaxUsageLimit = 1000

// Roaming labels of a usage record.
const (
	RoamingNone          = "none"
	RoamingDomestic      = "domestic"
	RoamingInternational = "international"
)

// UsageRecord is the usage of one line over [Start, End).
type UsageRecord struct {
	ICCID        string    `json:"iccid"`
	PhoneNumber  string    `json:"phoneNumber"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	DataBytes    int64     `json:"dataBytes"`
	VoiceSeconds int64     `json:"voiceSeconds"`
	SMSMessages  int64     `json:"smsMessages"`
	Country      string    `json:"country"`
	Roaming      string    `json:"roaming"`
	ReportedAt   time.Time `json:"reportedAt"`
}

// UsageBatch is one page of the usage feed. NextCursor continues after the
// last record; it equals the request's cursor when nothing new was there.
type UsageBatch struct {
	Records    []UsageRecord `json:"records"`
	NextCursor string        `json:"nextCursor"`
}

func (m Meta) meta() Meta      { return m }
func (m *Meta) setMeta(v Meta) { *m = v }
