package client

import (
	"context"
	"encoding/json"
	"time"
)

// Add-ons, subscription add-ons (top-ups) and subscription changes
// (docs/changes.md).

// Addon is schema Addon: a catalog item bought on top of a plan.
type Addon struct {
	Object            string            `json:"object"`
	ID                string            `json:"id"`
	ActivationTrigger string            `json:"activationTrigger"`
	Allowances        json.RawMessage   `json:"allowances"`
	Coverage          *string           `json:"coverage"`
	CreatedAt         time.Time         `json:"createdAt"`
	Description       *string           `json:"description"`
	Metadata          map[string]string `json:"metadata"`
	Name              string            `json:"name"`
	Plans             []string          `json:"plans"`
	Price             Price             `json:"price"`
	Provider          string            `json:"provider"`
	RecurrenceType    string            `json:"recurrenceType"`
	Status            string            `json:"status"`
	Type              string            `json:"type"`
	Validity          json.RawMessage   `json:"validity"`
}

// SubscriptionAddon is schema SubscriptionAddon: an add-on bought for one
// subscription.
type SubscriptionAddon struct {
	Object        string     `json:"object"`
	ID            string     `json:"id"`
	ActivatedAt   *time.Time `json:"activatedAt"`
	Addon         Addon      `json:"addon"`
	CanceledAt    *time.Time `json:"canceledAt"`
	CreatedAt     time.Time  `json:"createdAt"`
	CurrentPeriod *Period    `json:"currentPeriod"`
	EndedAt       *time.Time `json:"endedAt"`
	Status        string     `json:"status"`
	Subscription  string     `json:"subscription"`
	User          string     `json:"user"`
}

// SubscriptionAddonCreate is schema SubscriptionAddonCreate.
type SubscriptionAddonCreate struct {
	Subscription string `json:"subscription"`
	Addon        string `json:"addon"`
}

// SubscriptionChange is schema SubscriptionChange: a plan change or SIM
// swap, applied now or at renewal.
type SubscriptionChange struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	AppliedAt       *time.Time      `json:"appliedAt"`
	CreatedAt       time.Time       `json:"createdAt"`
	FailureCode     *string         `json:"failureCode"`
	Plan            *Plan           `json:"plan"`
	RequestedChange json.RawMessage `json:"requestedChange"`
	ScheduledAt     *time.Time      `json:"scheduledAt"`
	SIM             *SIM            `json:"sim"`
	Status          string          `json:"status"`
	Subscription    string          `json:"subscription"`
}

// SubscriptionChangeCreate is schema SubscriptionChangeCreate: Plan, SIM or
// both, When "now" or "renewal".
type SubscriptionChangeCreate struct {
	Subscription string `json:"subscription"`
	Plan         string `json:"plan,omitempty"`
	SIM          string `json:"sim,omitempty"`
	When         string `json:"when"`
}

// CreateAddon takes the add-on as the document's AddonCreate describes it.
func (c *Client) CreateAddon(ctx context.Context, in Fields) (*Addon, error) {
	return do[Addon](ctx, c, "createAddon", nil, nil, in)
}

// ListAddons lists the catalog; Filters take status, provider and plan.
func (c *Client) ListAddons(ctx context.Context, p Page) (*List[Addon], error) {
	return do[List[Addon]](ctx, c, "listAddons", nil, &p, nil)
}
func (c *Client) GetAddon(ctx context.Context, id string) (*Addon, error) {
	return do[Addon](ctx, c, "getAddon", ids(id), nil, nil)
}
func (c *Client) UpdateAddon(ctx context.Context, id string, f Fields) (*Addon, error) {
	return do[Addon](ctx, c, "updateAddon", ids(id), nil, f)
}

// CreateSubscriptionAddon buys an add-on; with billing on it stays
// initiated until its invoice is paid.
func (c *Client) CreateSubscriptionAddon(ctx context.Context, in SubscriptionAddonCreate) (*SubscriptionAddon, error) {
	return do[SubscriptionAddon](ctx, c, "createSubscriptionAddon", nil, nil, in)
}

// ListSubscriptionAddons: Filters take subscription, addon and status.
func (c *Client) ListSubscriptionAddons(ctx context.Context, p Page) (*List[SubscriptionAddon], error) {
	return do[List[SubscriptionAddon]](ctx, c, "listSubscriptionAddons", nil, &p, nil)
}
func (c *Client) GetSubscriptionAddon(ctx context.Context, id string) (*SubscriptionAddon, error) {
	return do[SubscriptionAddon](ctx, c, "getSubscriptionAddon", ids(id), nil, nil)
}
func (c *Client) CancelSubscriptionAddon(ctx context.Context, id string) (*SubscriptionAddon, error) {
	return do[SubscriptionAddon](ctx, c, "cancelSubscriptionAddon", ids(id), nil, nil)
}

func (c *Client) CreateSubscriptionChange(ctx context.Context, in SubscriptionChangeCreate) (*SubscriptionChange, error) {
	return do[SubscriptionChange](ctx, c, "createSubscriptionChange", nil, nil, in)
}

// ListSubscriptionChanges: Filters take subscription and status.
func (c *Client) ListSubscriptionChanges(ctx context.Context, p Page) (*List[SubscriptionChange], error) {
	return do[List[SubscriptionChange]](ctx, c, "listSubscriptionChanges", nil, &p, nil)
}
func (c *Client) GetSubscriptionChange(ctx context.Context, id string) (*SubscriptionChange, error) {
	return do[SubscriptionChange](ctx, c, "getSubscriptionChange", ids(id), nil, nil)
}

// DeleteSubscriptionChange withdraws a change that has not been applied.
func (c *Client) DeleteSubscriptionChange(ctx context.Context, id string) (*SubscriptionChange, error) {
	return do[SubscriptionChange](ctx, c, "deleteSubscriptionChange", ids(id), nil, nil)
}
