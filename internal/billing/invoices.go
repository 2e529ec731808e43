package billing

import (
	"context"
	"encoding/json"
	"time"

	"cellgate/internal/billing/tax"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/users"
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
	Object      string       `json:"object"`
	ID          string       `json:"id"`
	Amount      int64        `json:"amount"`
	Description string       `json:"description"`
	Discount    int64        `json:"discount"`
	Period      *LinePeriod  `json:"period"`
	Plan        string       `json:"plan"`
	Quantity    int          `json:"quantity"`
	Tax         int64        `json:"tax"`
	Taxes       []InvoiceTax `json:"taxes"`
	Total       int64        `json:"total"`
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

// Invoices is the invoice engine; it implements subscriptions.Billing.
type Invoices struct {
	Calculator tax.Calculator
	// Activator starts the subscription whose first invoice gets paid.
	Activator interface {
		ActivatePaid(ctx context.Context, tx *store.Tx, project, id string, now time.Time) error
	}
}

var _ subscriptions.Billing = (*Invoices)(nil)

func (b *Invoices) calculator() tax.Calculator {
	if b.Calculator == nil {
		return DefaultCalculator()
	}
	return b.Calculator
}

// InvoiceCreation issues the first invoice of a new subscription, finalizes
// it in the same transaction and pays it at once when the project pays
// automatically or nothing is due (docs/billing.md §2 "Creation flow").
func (b *Invoices) InvoiceCreation(ctx context.Context, tx *store.Tx, in subscriptions.CreationInvoice) (bool, error) {
	var address *users.Address
	if in.AddressID != "" {
		a, err := users.GetAddress(ctx, tx, in.Project, in.User, in.AddressID)
		if err != nil {
			return false, err
		}
		address = a
	}
	j, err := jurisdiction(ctx, tx, in.Project, address)
	if err != nil {
		return false, err
	}
	set := in.Billing
	a, err := Compute(ctx, b.calculator(), Input{Jurisdiction: j, Currency: set.Currency, Behavior: set.TaxBehavior,
		Lines: []tax.Line{{Key: in.Plan.ID, Price: in.Plan.Price.Amount}}, RecoveryBPS: set.RecoveryFeeBasisPoints()})
	if err != nil {
		return false, err
	}
	inv := invoiceOf(a, in, set.Currency)
	inv.taxAt = j
	if address != nil {
		inv.Address = &address.ID
	}
	if err := events.Record(ctx, tx, in.Project, "invoice.created", inv.ID, inv, in.Now); err != nil {
		return false, err
	}
	inv.Status, inv.FinalizedAt = StatusFinalized, &in.Now
	if err := insertInvoice(ctx, tx, in.Project, inv); err != nil {
		return false, err
	}
	if err := events.Record(ctx, tx, in.Project, "invoice.finalized", inv.ID, inv, in.Now); err != nil {
		return false, err
	}
	if set.PaymentBehavior != projects.PaymentAutomatic && amountDue(inv) != 0 {
		return false, nil
	}
	return true, markPaid(ctx, tx, in.Project, inv, in.Now)
}

// amountDue is what remains to pay once the user balance is applied.
func amountDue(inv *Invoice) int64 {
	due := inv.Total.Amount
	if inv.AppliedBalance != nil {
		due -= inv.AppliedBalance.Amount
	}
	return due
}

// invoiceOf builds the draft creation invoice from its computed amounts.
func invoiceOf(a Amounts, in subscriptions.CreationInvoice, currency string) *Invoice {
	price := func(v int64) money.Price { return money.Price{Amount: v, Currency: currency} }
	inv := &Invoice{Object: "invoice", ID: ids.New(ids.Invoice), CreatedAt: in.Now, Discount: price(a.Discount), Fees: a.Fees,
		LineItems: []InvoiceLineItem{}, Reason: ReasonSubscriptionCreation, Status: StatusDraft, Subscription: in.Subscription,
		Subtotal: price(a.Subtotal), Tax: price(a.Tax), Total: price(a.Total), User: in.User, periodNumber: 1}
	if a.ExemptionReason != "" {
		r := a.ExemptionReason
		inv.TaxExemptionReason = &r
	}
	for _, l := range a.Lines {
		li := InvoiceLineItem{Object: "invoiceLineItem", ID: ids.New(ids.InvoiceLine), Amount: l.Amount, Description: in.Plan.Name,
			Discount: l.Discount, Plan: in.Plan.ID, Quantity: 1, Tax: l.Tax, Taxes: []InvoiceTax{}, Total: l.Amount - l.Discount + l.Tax}
		for _, x := range l.Taxes {
			li.Taxes = append(li.Taxes, InvoiceTax{Object: "invoiceTax", ID: ids.New(ids.InvoiceTax), Amount: x.Amount, Name: x.Name,
				Percentage: Percentage(x.PPM), Type: x.Type})
		}
		inv.LineItems = append(inv.LineItems, li)
	}
	return inv
}
