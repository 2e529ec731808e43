package usage

import (
	"context"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/store"
)

// Notification types (reference §2.13).
const (
	NotificationStarted           = "started"
	NotificationThresholdExceeded = "thresholdExceeded"
	NotificationThrottled         = "throttled"
)

// NotificationPrefix is the id prefix of usage notifications.
const NotificationPrefix = "unt"

// Notification is the data of com.gigs.usageNotification.created. The
// fields past subscription follow the deprecated usageThresholdExceeded
// object; those that do not apply to a type are null.
type Notification struct {
	Object              string     `json:"object"`
	ID                  string     `json:"id"`
	Type                string     `json:"type"`
	Subscription        string     `json:"subscription"`
	Plan                string     `json:"plan"`
	Allowance           *Allowance `json:"allowance"`
	Balance             *string    `json:"usageBalance"`
	ThresholdPercentage *int64     `json:"thresholdPercentage"`
	Usage               *int64     `json:"usage"`
	Unit                *string    `json:"unit"`
	// BandwidthBitsPerSecond is the throttled speed (type throttled).
	BandwidthBitsPerSecond *int64 `json:"bandwidthBitsPerSecond"`
	// UsageAt is when the usage happened, which for usage reported late
	// is days before the notification.
	UsageAt   time.Time `json:"usageAt"`
	CreatedAt time.Time `json:"createdAt"`
}

// notify records a notification in the ingest's transaction.
func notify(ctx context.Context, tx *store.Tx, project string, n Notification, now time.Time) error {
	n.Object, n.ID, n.CreatedAt = "usageNotification", ids.New(NotificationPrefix), now
	return events.Record(ctx, tx, project, EventNotification, n.Subscription, n, now)
}

// thresholdCrossed records, for one threshold a balance reached,
// thresholdExceeded and the balance's thresholdReached.
func thresholdCrossed(ctx context.Context, tx *store.Tx, project, plan string, b Balance, pct int64, usageAt, now time.Time) error {
	used := b.Used
	unit := b.Unit
	a := b.Allowance
	err := notify(ctx, tx, project, Notification{Type: NotificationThresholdExceeded, Subscription: b.Subscription, Plan: plan,
		Allowance: &a, Balance: &b.ID, ThresholdPercentage: &pct, Usage: &used, Unit: &unit, UsageAt: usageAt}, now)
	if err != nil {
		return err
	}
	return events.Record(ctx, tx, project, EventThresholdReached, b.ID, b, now)
}
