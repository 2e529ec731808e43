package billing

import (
	"encoding/json"
	"time"

	"cellgate/internal/billing/tax"
	"cellgate/internal/events"
	"cellgate/internal/money"
)

// Invoice statuses and reasons (docs/billing.md §2).
const (
	StatusDraft     = "draft"
	StatusFinalized = "finalized"
	StatusPaid      = "paid"
	StatusVoided    = "voided"

	ReasonSubscriptionRenewal = "subscriptionRenewal"
	ReasonSubscriptionRestore = "subscriptionRestore"
	ReasonOther               = "other"
)

// Statuses and Reasons are the enums of the invoice list filters.
var (
	Statuses = []string{StatusDraft, StatusFinalized, StatusPaid, StatusVoided}
	Reasons  = []string{ReasonSubscriptionCreation, ReasonSubscriptionRenewal, ReasonSubscriptionRestore, ReasonOther}
)

func init() {
	events.Register("invoice.created", "invoice.finalized", "invoice.paid", "invoice.voided")
}

// Invoice is the API representation (reference §3.2, docs/billing.md §10).
type Invoice struct {
	Object             string            `json:"object"`
	ID                 string            `json:"id"`
	Address            *string           `json:"address"`
	AppliedBalance     *money.Price      `json:"appliedBalance"`
	CreatedAt          time.Time         `json:"createdAt"`
	Discount           money.Price       `json:"discount"`
	DueAt              *time.Time        `json:"dueAt"`
	Fees               []Fee             `json:"fees"`
	FileURL            *string           `json:"fileUrl"`
	FinalizedAt        *time.Time        `json:"finalizedAt"`
	LineItems          []InvoiceLineItem `json:"lineItems"`
	PaidAt             *time.Time        `json:"paidAt"`
	Payment            *string           `json:"payment"`
	Period             *InvoicePeriod    `json:"period"`
	Reason             string            `json:"reason"`
	Status             string            `json:"status"`
	Subscription       string            `json:"subscription"`
	Subtotal           money.Price       `json:"subtotal"`
	Tax                money.Price       `json:"tax"`
	TaxExemptionReason *string           `json:"taxExemptionReason"`
	Total              money.Price       `json:"total"`
	User               string            `json:"user"`
	VoidedAt           *time.Time        `json:"voidedAt"`
	periodNumber       int               // 1 for the creation invoice
	taxAt              *tax.Jurisdiction // where it was taxed; nil = unknown
	// overdueAt is when an unpaid invoice becomes overdue (nil: never);
	// warnedAt and overdueSince record the two delinquency events.
	overdueAt, warnedAt, overdueSince *time.Time
}

// InvoicePeriod is the subscription period an invoice pays for.
type InvoicePeriod struct {
	Number int       `json:"number"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

// LinePeriod is the span of a line; null while the period has not started.
type LinePeriod struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// InvoiceLineItem is one line of an invoice: total = amount − discount + tax.
type InvoiceLineItem struct {
	Object      string      `json:"object"`
	ID          string      `json:"id"`
	Amount      int64       `json:"amount"`
	Description string      `json:"description"`
	Discount    int64       `json:"discount"`
	Period      *LinePeriod `json:"period"`
	Plan        string      `json:"plan"`
	// Addon is the add-on a line charges for; absent on plan lines.
	Addon    string       `json:"addon,omitempty"`
	Quantity int          `json:"quantity"`
	Tax      int64        `json:"tax"`
	Taxes    []InvoiceTax `json:"taxes"`
	Total    int64        `json:"total"`
}

// InvoiceTax is one tax of a line, with the id a credit note names.
type InvoiceTax struct {
	Object string `json:"object"`
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
	Name   string `json:"name"`
	// Percentage is the rate in percent, exactly; null for a flat tax.
	Percentage *json.Number `json:"percentage"`
	Type       string       `json:"type"`
}
