package billing

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"cellgate/internal/money"
	"cellgate/internal/payments"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

// The PDFs a user opens from an invoice's fileUrl and a payment's receipt
// (docs/payments.md), rendered with github.com/go-pdf/fpdf in its core
// Helvetica font, on A4, from the stored rows as they are at the time of
// the request: an invoice's PDF lists the credit notes issued since.

// pdfDoc is a page being written, with the money format of one currency.
type pdfDoc struct {
	f        *fpdf.Fpdf
	tr       func(string) string
	currency string
}

func newPDF(title, currency string, created time.Time) *pdfDoc {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetTitle(title, true)
	f.SetCreator("cellgate", true)
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetMargins(18, 18, 18)
	f.AddPage()
	return &pdfDoc{f: f, tr: f.UnicodeTranslatorFromDescriptor(""), currency: currency}
}

func (d *pdfDoc) money(v int64) string { return money.Format(v, d.currency) }

// heading writes the document's title and who issued it.
func (d *pdfDoc) heading(title, issuer string) {
	d.f.SetFont("Helvetica", "B", 18)
	d.f.CellFormat(0, 10, d.tr(title), "", 1, "L", false, 0, "")
	d.f.SetFont("Helvetica", "", 10)
	d.f.CellFormat(0, 6, d.tr(issuer), "", 1, "L", false, 0, "")
	d.f.Ln(4)
}

// field writes one "label: value" line.
func (d *pdfDoc) field(label, value string) {
	d.f.SetFont("Helvetica", "B", 10)
	d.f.CellFormat(45, 6, d.tr(label), "", 0, "L", false, 0, "")
	d.f.SetFont("Helvetica", "", 10)
	d.f.CellFormat(0, 6, d.tr(value), "", 1, "L", false, 0, "")
}

// row writes one table row; widths match cells, and the first cell is
// left aligned, the others right aligned.
func (d *pdfDoc) row(bold bool, widths []float64, cells ...string) {
	style := ""
	if bold {
		style = "B"
	}
	d.f.SetFont("Helvetica", style, 9)
	for i, c := range cells {
		align := "R"
		if i == 0 {
			align = "L"
		}
		d.f.CellFormat(widths[i], 6, d.tr(c), "B", 0, align, false, 0, "")
	}
	d.f.Ln(-1)
}

func (d *pdfDoc) section(title string) {
	d.f.Ln(4)
	d.f.SetFont("Helvetica", "B", 12)
	d.f.CellFormat(0, 8, d.tr(title), "", 1, "L", false, 0, "")
}

func (d *pdfDoc) bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := d.f.Output(&b); err != nil {
		return nil, fmt.Errorf("billing: render PDF: %w", err)
	}
	return b.Bytes(), nil
}

func pdfDate(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("January 2, 2006")
}

// billTo names the invoice's user, deleted or not.
func billTo(ctx context.Context, q store.Querier, project, user string) string {
	u, err := users.GetIncludingDeleted(ctx, q, project, user)
	if err != nil {
		return user
	}
	if u.FullName != nil && *u.FullName != "" {
		return *u.FullName + " <" + u.Email + ">"
	}
	return u.Email
}

// InvoicePDF renders a finalized invoice: its lines with their discounts
// and taxes, its fees, the totals, the balance applied, the payment and
// the credit notes issued against it.
func InvoicePDF(ctx context.Context, q store.Querier, project, id string) ([]byte, error) {
	inv, err := GetInvoice(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	p, err := projects.Get(ctx, q, project)
	if err != nil {
		return nil, err
	}
	notes, err := ListCreditNotes(ctx, q, project, id, store.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	d := newPDF("Invoice "+inv.ID, inv.Total.Currency, inv.CreatedAt)
	d.heading("Invoice", p.Name)
	d.field("Invoice", inv.ID)
	d.field("Status", inv.Status)
	d.field("Billed to", billTo(ctx, q, project, inv.User))
	d.field("Subscription", inv.Subscription)
	d.field("Issued", pdfDate(inv.FinalizedAt))
	if inv.Period != nil {
		d.field("Period", pdfDate(&inv.Period.Start)+" - "+pdfDate(&inv.Period.End))
	}
	d.field("Due", pdfDate(inv.DueAt))
	if inv.PaidAt != nil {
		d.field("Paid", pdfDate(inv.PaidAt))
	}
	if inv.Payment != nil {
		d.field("Payment", *inv.Payment)
	}
	if inv.TaxExemptionReason != nil {
		d.field("Tax exemption", *inv.TaxExemptionReason)
	}

	d.section("Lines")
	w := []float64{70, 14, 24, 24, 20, 22}
	d.row(true, w, "Description", "Qty", "Amount", "Discount", "Tax", "Total")
	for _, l := range inv.LineItems {
		d.row(false, w, l.Description, fmt.Sprint(l.Quantity), d.money(l.Amount), d.money(-l.Discount), d.money(l.Tax), d.money(l.Total))
		for _, t := range l.Taxes {
			name := t.Name
			if t.Percentage != nil {
				name += " (" + t.Percentage.String() + " %)"
			}
			d.row(false, w, "    "+name, "", "", "", d.money(t.Amount), "")
		}
	}
	if len(inv.Fees) > 0 {
		d.section("Fees")
		for _, f := range inv.Fees {
			d.row(false, []float64{152, 22}, f.Name, d.money(f.Amount))
		}
	}

	d.section("Totals")
	tw := []float64{152, 22}
	d.row(false, tw, "Subtotal", d.money(inv.Subtotal.Amount))
	d.row(false, tw, "Discount", d.money(-inv.Discount.Amount))
	d.row(false, tw, "Tax", d.money(inv.Tax.Amount))
	var fees int64
	for _, f := range inv.Fees {
		fees += f.Amount
	}
	d.row(false, tw, "Fees", d.money(fees))
	d.row(true, tw, "Total", d.money(inv.Total.Amount))
	var applied int64
	if inv.AppliedBalance != nil {
		applied = inv.AppliedBalance.Amount
		d.row(false, tw, "Balance applied", d.money(-applied))
	}
	d.row(true, tw, "Amount due", d.money(inv.Total.Amount-applied))

	if len(notes.Items) > 0 {
		d.section("Credit notes")
		cw := []float64{70, 30, 24, 24, 26}
		d.row(true, cw, "Credit note", "Status", "Subtotal", "Tax", "Total")
		for _, n := range notes.Items {
			d.row(false, cw, n.ID, n.Status, d.money(n.Subtotal.Amount), d.money(n.Tax.Amount), d.money(n.Total.Amount))
		}
	}
	return d.bytes()
}

// ReceiptPDF renders the receipt of a succeeded payment: what was paid,
// when, for which invoice, with which method, and what was refunded since.
func ReceiptPDF(ctx context.Context, q store.Querier, project, id string) ([]byte, error) {
	pay, err := payments.Get(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	p, err := projects.Get(ctx, q, project)
	if err != nil {
		return nil, err
	}
	d := newPDF("Receipt "+pay.ID, pay.Amount.Currency, pay.CreatedAt)
	d.heading("Receipt", p.Name)
	d.field("Payment", pay.ID)
	d.field("Invoice", pay.Invoice)
	d.field("Paid by", billTo(ctx, q, project, pay.User))
	d.field("Paid on", pdfDate(pay.AttemptedAt))
	d.field("Amount paid", d.money(pay.Amount.Amount))
	if pay.Method != nil {
		method := *pay.Method
		if m, err := payments.GetMethod(ctx, q, project, *pay.Method); err == nil && m.Brand != nil && m.Last4 != nil {
			method = strings.ToUpper((*m.Brand)[:1]) + (*m.Brand)[1:] + " ending in " + *m.Last4
		}
		d.field("Method", method)
	}
	if pay.InvoiceNumber != nil {
		d.field("Reference", *pay.InvoiceNumber)
	}
	if pay.Refunded.Amount > 0 {
		d.field("Refunded", d.money(pay.Refunded.Amount))
	}
	if pay.DisputeOutcome != "" {
		d.field("Dispute", pay.DisputeOutcome)
	}
	return d.bytes()
}
