// Package subscriptions owns the subscription lifecycle: creation with its
// plan requirements and SIM choice, activation by the provider, periods and
// renewals, cancel, resume and end, and what ending does to the SIM.
// docs/lifecycle.md states the rules.
package subscriptions

import (
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/clock"
	"cellgate/internal/events"
	"cellgate/internal/metadata"
	"cellgate/internal/sims"
	"cellgate/internal/users"
)

// Statuses of a subscription.
const (
	StatusPending    = "pending"
	StatusInitiated  = "initiated"
	StatusActive     = "active"
	StatusRestricted = "restricted"
	StatusEnded      = "ended"
)

// Causes of an end (cancellationDetails.cause).
const (
	CauseCancellationRequested = "cancellationRequested"
	CauseSubscriptionEnded     = "subscriptionEnded"
	CauseUserDeleted           = "userDeleted"
	CauseInvoiceUnpaid         = "invoiceUnpaid"
	CausePaymentFailed         = "paymentFailed"
	CausePaymentDisputed       = "paymentDisputed"
	CausePortingExpired        = "portingExpired"
)

// UserReasons a cancellation may give.
var UserReasons = []string{"connectivityIssues", "customerService", "noDetails", "other", "tooExpensive", "unused"}

func init() {
	events.Register("subscription.created", "subscription.activated", "subscription.renewed", "subscription.canceled",
		"subscription.resumed", "subscription.ended", "subscription.updated")
}

// Cutoff is how long before a period ends the next period is committed:
// from then on a cancel or resume takes effect only after the next period
// (seed 001).
const Cutoff = time.Hour

// Subscription is the API representation (reference §2.5).
type Subscription struct {
	Object              string        `json:"object"`
	ID                  string        `json:"id"`
	ActivatedAt         *time.Time    `json:"activatedAt"`
	Billing             *BillingView  `json:"billing"`
	CanceledAt          *time.Time    `json:"canceledAt"`
	CancellationDetails *Cancellation `json:"cancellationDetails"`
	CreatedAt           time.Time     `json:"createdAt"`
	CurrentPeriod       *Period       `json:"currentPeriod"`
	EarliestEndAt       *time.Time    `json:"earliestEndAt"`
	EndedAt             *time.Time    `json:"endedAt"`
	FirstUsageAt        *time.Time    `json:"firstUsageAt"`
	LastPorting         any           `json:"lastPorting"`
	Metadata            metadata.Map  `json:"metadata"`
	PhoneNumber         *string       `json:"phoneNumber"`
	Plan                *catalog.Plan `json:"plan"`
	Porting             any           `json:"porting"`
	SIM                 *sims.SIM     `json:"sim"`
	Status              string        `json:"status"`
	User                *users.User   `json:"user"`
	UserAddress         *string       `json:"userAddress"`
}

// BillingView is the billing of a billed subscription: its delinquency
// overrides as given at creation (null follows the project) and the
// discount its current period gets.
type BillingView struct {
	Discount             *Discount `json:"discount"`
	InvoiceOverdueDays   *int      `json:"invoiceOverdueDays"`
	InvoiceOverdueAction *string   `json:"invoiceOverdueAction"`
}

// Cancellation says why a subscription ends or ended.
type Cancellation struct {
	Cause       string  `json:"cause"`
	UserReason  *string `json:"userReason"`
	UserComment *string `json:"userComment"`
}

// Period is one billing and allowance period.
type Period struct {
	Number int       `json:"number"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

// record is the stored subscription.
type record struct {
	ID           string
	Project      string
	PlanID       string
	UserID       string
	Status       string
	CreatedAt    time.Time
	SIMID        string
	AddressID    string
	PhoneNumber  string
	ActivatedAt  *time.Time
	AnchorAt     *time.Time
	AnchorPeriod int
	Period       *Period
	CanceledAt   *time.Time
	EndedAt      *time.Time
	Cancellation *Cancellation
	Metadata     metadata.Map
	FirstUsageAt *time.Time
	// Billed is fixed at creation: the project billed when it began.
	Billed bool
	// OverdueDays and OverdueAction override the project's delinquency
	// settings; nil follows the project.
	OverdueDays   *int
	OverdueAction *string
	// PortingID is the porting that brings the number, when there is one.
	PortingID string
	plan      *catalog.Plan // loaded with the record
}

// periodEnd is when period n ends, measured from the renewal anchor.
func (r *record) periodEnd(n int) time.Time {
	v := r.plan.Validity
	return clock.PeriodBoundary(*r.AnchorAt, v.Unit, v.Value, n-r.AnchorPeriod+1)
}

// live reports whether the subscription has periods running.
func (r *record) live() bool {
	return (r.Status == StatusActive || r.Status == StatusRestricted) && r.Period != nil
}

// canceled reports whether an end is scheduled but not reached.
func (r *record) canceled() bool { return r.Status != StatusEnded && r.EndedAt != nil }

// recurring reports whether the plan renews.
func (r *record) recurring() bool { return r.plan.Validity.Type == catalog.ValidityRecurring }

// earliestEnd is the earliest moment the subscription could end if it
// were canceled now: the current period's end, or the following one once
// the cutoff has passed, and never before the minimum periods are served.
func (r *record) earliestEnd(now time.Time) *time.Time {
	if !r.live() {
		return nil
	}
	if r.canceled() {
		t := *r.EndedAt
		return &t
	}
	end := r.Period.End
	if r.recurring() && !now.Before(end.Add(-Cutoff)) {
		end = r.periodEnd(r.Period.Number + 1)
	}
	if min := r.plan.Validity.MinimumPeriods; r.recurring() && min > r.Period.Number {
		if minEnd := r.periodEnd(min); minEnd.After(end) {
			end = minEnd
		}
	}
	return &end
}
