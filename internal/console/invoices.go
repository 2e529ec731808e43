package console

import (
	"context"
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/errs"
	"cellgate/internal/store"
)

func init() {
	Register(
		Page{Route: "GET /invoices", Nav: "Invoices", Order: 40, Handle: (*Console).invoiceList},
		Page{Route: "GET /invoices/{invoice}", Handle: (*Console).invoice},
		Page{Route: "POST /invoices/{invoice}/creditNotes", Handle: (*Console).issueCreditNote},
	)
}

type invoicesData struct {
	Status   string
	Statuses []string
	Invoices []*billing.Invoice
	Pager    pager
}

func (c *Console) invoiceList(rq *request) (*answer, error) {
	p, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	var f billing.InvoiceFilter
	if f.Status, err = filter(rq, "status", billing.Statuses...); err != nil {
		return nil, err
	}
	if f.Subscription, err = idFilter(rq, "subscription"); err != nil {
		return nil, err
	}
	page, err := billing.ListInvoices(rq.ctx, c.db, rq.project.ID, f, p)
	if err != nil {
		return nil, err
	}
	return &answer{page: "invoices", data: invoicesData{Status: f.Status, Statuses: billing.Statuses, Invoices: page.Items, Pager: pagerOf(rq, page)}}, nil
}

type invoiceData struct {
	Invoice     *billing.Invoice
	CreditNotes []*billing.CreditNote
	CanCredit   bool
}

func (c *Console) invoice(rq *request) (*answer, error) {
	id, err := pathID(rq, "invoice", "invoice")
	if err != nil {
		return nil, err
	}
	d := invoiceData{}
	if d.Invoice, err = billing.GetInvoice(rq.ctx, c.db, rq.project.ID, id); err != nil {
		return nil, err
	}
	notes, err := billing.ListCreditNotes(rq.ctx, c.db, rq.project.ID, id, store.Page{Limit: pageSize})
	if err != nil {
		return nil, err
	}
	d.CreditNotes, d.CanCredit = notes.Items, d.Invoice.Status == billing.StatusPaid
	return &answer{page: "invoice", data: d}, nil
}

// issueCreditNote credits a paid invoice in full (no line named) or one
// line item by an amount, through billing.CreateCreditNote as the API does.
func (c *Console) issueCreditNote(rq *request) (*answer, error) {
	id, err := pathID(rq, "invoice", "invoice")
	if err != nil {
		return nil, err
	}
	in := billing.CreditNoteInput{Invoice: id}
	if line := rq.formText("lineItem"); line != "" {
		amount, ok, err := formAmount(rq, "amount")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errs.Invalid("amountInvalid", "Give the amount to credit on the line, in minor units.")
		}
		in.LineItems = &[]billing.CreditLineInput{{InvoiceLineItem: line, Amount: &amount}}
	}
	if to := rq.formText("creditTo"); to != "" {
		in.CreditTo = &to
	}
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		if _, err := billing.GetInvoice(ctx, tx, rq.project.ID, id); err != nil {
			return err
		}
		_, err := billing.CreateCreditNote(ctx, tx, rq.project.ID, in, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/invoices/%s", id), nil
}
