package billing

import (
	"context"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// Credit note statuses, destinations and origins (docs/billing.md §6).
const (
	CreditIssued = "issued"
	CreditVoided = "voided"

	CreditToOutOfBand   = "outOfBand"
	CreditToUserBalance = "userBalance"

	originAPI     = "api"
	originRestore = "restore"
	originCancel  = "cancel"
	originEnd     = "end"
)

func init() {
	events.Register("creditNote.created", "creditNote.voided")
}

// CreditNote is the API representation (reference §3.4, docs/billing.md §10).
type CreditNote struct {
	Object    string       `json:"object"`
	ID        string       `json:"id"`
	CreatedAt time.Time    `json:"createdAt"`
	CreditTo  string       `json:"creditTo"`
	Fees      []Fee        `json:"fees"`
	FileURL   *string      `json:"fileUrl"`
	Invoice   string       `json:"invoice"`
	LineItems []CreditLine `json:"lineItems"`
	Status    string       `json:"status"`
	Subtotal  money.Price  `json:"subtotal"`
	Tax       money.Price  `json:"tax"`
	Total     money.Price  `json:"total"`
	VoidedAt  *time.Time   `json:"voidedAt"`
	user      string
}

// CreditLine credits part of one invoice line: tax = Σ taxes.
type CreditLine struct {
	Amount          int64       `json:"amount"`
	InvoiceLineItem string      `json:"invoiceLineItem"`
	Tax             int64       `json:"tax"`
	Taxes           []CreditTax `json:"taxes"`
}

// CreditTax credits part of one tax of an invoice line.
type CreditTax struct {
	Amount     int64  `json:"amount"`
	InvoiceTax string `json:"invoiceTax"`
}

// CreditNoteInput is the body of POST /creditNotes. Without lineItems and
// fees it credits everything not yet credited.
type CreditNoteInput struct {
	Invoice   string             `json:"invoice"`
	CreditTo  *string            `json:"creditTo"`
	LineItems *[]CreditLineInput `json:"lineItems"`
	Fees      *[]CreditFeeInput  `json:"fees"`
}

// CreditLineInput names an invoice line, the amount and the taxes to credit.
type CreditLineInput struct {
	InvoiceLineItem string           `json:"invoiceLineItem"`
	Amount          *int64           `json:"amount"`
	Taxes           []CreditTaxInput `json:"taxes"`
}

// CreditTaxInput names a tax of the line and the amount to credit.
type CreditTaxInput struct {
	InvoiceTax string `json:"invoiceTax"`
	Amount     *int64 `json:"amount"`
}

// CreditFeeInput names a fee of the invoice by type.
type CreditFeeInput struct {
	Type   string `json:"type"`
	Amount *int64 `json:"amount"`
}

// CreateCreditNote credits a paid invoice. The invoice row is locked while
// the remaining amounts are read, so concurrent credits take turns and can
// never together exceed the invoice.
func CreateCreditNote(ctx context.Context, tx *store.Tx, project string, in CreditNoteInput, now time.Time) (*CreditNote, error) {
	if err := validate.Required("invoice", in.Invoice); err != nil {
		return nil, errs.Invalid("invoiceNotFound", "invoice is required: name the paid invoice to credit.")
	}
	creditTo := CreditToOutOfBand
	if in.CreditTo != nil {
		if *in.CreditTo != CreditToOutOfBand && *in.CreditTo != CreditToUserBalance {
			return nil, errs.Invalid("creditToInvalid", "creditTo must be outOfBand or userBalance; got %q.", *in.CreditTo)
		}
		creditTo = *in.CreditTo
	}
	inv, err := loadInvoice(ctx, tx, project, in.Invoice)
	if err != nil {
		return nil, referenced(err, "invoice")
	}
	if inv.Status != StatusPaid {
		return nil, errs.Conflict("invoiceNotPaid", "The invoice %s is %s; only paid invoices can be credited.", inv.ID, inv.Status)
	}
	left, err := remaining(ctx, tx, inv)
	if err != nil {
		return nil, err
	}
	note := newCreditNote(inv, creditTo, now)
	if in.LineItems == nil && in.Fees == nil {
		fullCredit(note, inv, left)
		if len(note.LineItems) == 0 && len(note.Fees) == 0 {
			return nil, errs.Conflict("invoiceFullyCredited", "The invoice %s is already fully credited.", inv.ID)
		}
	} else if err := partialCredit(note, inv, in); err != nil {
		return nil, err
	}
	total, err := note.totals(inv.Total.Currency)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return nil, errs.Invalid("creditNoteEmpty", "The credit note credits nothing: name at least one amount above 0.")
	}
	if err := left.check(note); err != nil {
		return nil, err
	}
	return note, recordCreditNote(ctx, tx, project, note, originAPI, now)
}

// recordCreditNote stores an issued note, credits the balance when it goes
// there, and records creditNote.created.
func recordCreditNote(ctx context.Context, tx *store.Tx, project string, note *CreditNote, origin string, now time.Time) error {
	if err := insertCreditNote(ctx, tx, project, note, note.Total.Currency, origin); err != nil {
		return err
	}
	if note.CreditTo == CreditToUserBalance {
		err := moveBalance(ctx, tx, project, note.user, note.Total.Currency, note.Total.Amount, "creditNote", note.ID, now)
		if err != nil {
			return err
		}
	}
	return events.Record(ctx, tx, project, "creditNote.created", note.ID, note, now)
}

// creditToBalance is the engine's own credit note: everything still
// uncredited on the paid invoice goes to the user's balance (restore,
// cancel, end). Nothing left to credit issues nothing.
func creditToBalance(ctx context.Context, tx *store.Tx, project string, inv *Invoice, origin string, now time.Time) (*CreditNote, error) {
	left, err := remaining(ctx, tx, inv)
	if err != nil {
		return nil, err
	}
	note := newCreditNote(inv, CreditToUserBalance, now)
	fullCredit(note, inv, left)
	if total, err := note.totals(inv.Total.Currency); err != nil || total == 0 {
		return nil, err
	}
	return note, recordCreditNote(ctx, tx, project, note, origin, now)
}

func newCreditNote(inv *Invoice, creditTo string, now time.Time) *CreditNote {
	return &CreditNote{Object: "creditNote", ID: ids.New(ids.CreditNote), CreatedAt: now, CreditTo: creditTo,
		Fees: []Fee{}, Invoice: inv.ID, LineItems: []CreditLine{}, Status: CreditIssued, user: inv.User}
}

// totals sets line taxes and the note's amounts; it returns the total,
// or money.ErrOverflow.
func (n *CreditNote) totals(currency string) (int64, error) {
	var sub, tax, fees money.Acc
	for i := range n.LineItems {
		l := &n.LineItems[i]
		var lt money.Acc
		for _, x := range l.Taxes {
			lt.Add(x.Amount)
		}
		if lt.Err != nil {
			return 0, lt.Err
		}
		l.Tax = lt.Total
		sub.Add(l.Amount)
		tax.Add(l.Tax)
	}
	for _, f := range n.Fees {
		fees.Add(f.Amount)
	}
	total, err := money.Sum(sub.Total, tax.Total, fees.Total)
	for _, e := range []error{sub.Err, tax.Err, fees.Err, err} {
		if e != nil {
			return 0, e
		}
	}
	n.Subtotal = money.Price{Amount: sub.Total, Currency: currency}
	n.Tax = money.Price{Amount: tax.Total, Currency: currency}
	n.Total = money.Price{Amount: total, Currency: currency}
	return total, nil
}

// VoidCreditNote voids an issued credit note; its amounts become creditable
// again. A userBalance note takes its total back from the balance, which
// must still hold it.
func VoidCreditNote(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*CreditNote, error) {
	note, err := loadCreditNote(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if note.Status == CreditVoided {
		return nil, errs.Conflict("creditNoteAlreadyVoided", "The credit note %s is already voided.", id)
	}
	if note.CreditTo == CreditToUserBalance {
		err := moveBalance(ctx, tx, project, note.user, note.Total.Currency, -note.Total.Amount, "creditNoteVoid", note.ID, now)
		if err != nil {
			return nil, err
		}
	}
	note.Status, note.VoidedAt = CreditVoided, &now
	if err := setCreditNoteVoided(ctx, tx, note); err != nil {
		return nil, err
	}
	return note, events.Record(ctx, tx, project, "creditNote.voided", note.ID, note, now)
}
