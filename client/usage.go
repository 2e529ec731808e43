package client

import (
	"context"
	"encoding/json"
	"time"
)

// UsageRecord is schema UsageRecord: a day's usage of a subscription in
// one country (labels).
type UsageRecord struct {
	Data      int64             `json:"data"`
	Start     time.Time         `json:"start"`
	End       time.Time         `json:"end"`
	Labels    map[string]string `json:"labels"`
	SMS       int64             `json:"sms"`
	UpdatedAt time.Time         `json:"updatedAt"`
	Voice     int64             `json:"voice"`
}

// UsageBalance is schema UsageBalance: what is left of an allowance.
type UsageBalance struct {
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Allowance        json.RawMessage `json:"allowance"`
	Subscription     string          `json:"subscription"`
	Source           json.RawMessage `json:"source"`
	Unit             string          `json:"unit"`
	Used             int64           `json:"used"`
	Limit            *int64          `json:"limit"`
	Remaining        *int64          `json:"remaining"`
	UsedPercent      *int64          `json:"usedPercent"`
	RemainingPercent *int64          `json:"remainingPercent"`
	UsableFrom       *time.Time      `json:"usableFrom"`
	UsableUntil      *time.Time      `json:"usableUntil"`
}

// UsageSimulate is schema UsageSimulate: usage a test project's simulated
// carrier reports for a subscription.
type UsageSimulate struct {
	Data    int64  `json:"data"`
	Voice   int64  `json:"voice"`
	SMS     int64  `json:"sms"`
	Country string `json:"country,omitempty"`
}

// TrafficModelInput is schema TrafficModelInput.
type TrafficModelInput struct {
	Model string          `json:"model"`
	Daily json.RawMessage `json:"daily,omitempty"`
}

// TrafficModel is schema TrafficModel.
type TrafficModel struct {
	Object       string          `json:"object"`
	Subscription string          `json:"subscription"`
	Model        string          `json:"model"`
	Daily        json.RawMessage `json:"daily"`
	UpdatedAt    time.Time       `json:"updatedAt"`
}

// ListSubscriptionUsage lists a subscription's usage records; Filters
// take the document's period, start and end.
func (c *Client) ListSubscriptionUsage(ctx context.Context, subscription string, p Page) (*List[UsageRecord], error) {
	return do[List[UsageRecord]](ctx, c, "listSubscriptionUsage", ids(subscription), &p, nil)
}

// ListSubscriptionUsageBalances lists what is left of each allowance.
func (c *Client) ListSubscriptionUsageBalances(ctx context.Context, subscription string) (*List[UsageBalance], error) {
	return do[List[UsageBalance]](ctx, c, "listSubscriptionUsageBalances", ids(subscription), nil, nil)
}

// SimulateUsage makes a test project's simulated carrier report usage.
func (c *Client) SimulateUsage(ctx context.Context, subscription string, in UsageSimulate) (*UsageRecord, error) {
	return do[UsageRecord](ctx, c, "simulateUsage", ids(subscription), nil, in)
}

// SetTrafficModel sets the traffic a test project's line generates.
func (c *Client) SetTrafficModel(ctx context.Context, subscription string, in TrafficModelInput) (*TrafficModel, error) {
	return do[TrafficModel](ctx, c, "setTrafficModel", ids(subscription), nil, in)
}
