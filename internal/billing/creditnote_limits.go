package billing

import (
	"context"
	"fmt"

	"cellgate/internal/errs"
	"cellgate/internal/money"
	"cellgate/internal/store"
)

// creditable is what is left to credit on an invoice at each level
// (docs/billing.md §6): invoice amount − Σ issued credit notes.
type creditable struct {
	line, tax, fee map[string]int64 // by line id, tax id, fee type
	total          int64
}

// remaining reads the issued credit notes of inv. The caller holds the
// invoice row lock, so no credit note of it can be issued meanwhile.
func remaining(ctx context.Context, tx *store.Tx, inv *Invoice) (*creditable, error) {
	c := &creditable{line: map[string]int64{}, tax: map[string]int64{}, fee: map[string]int64{}, total: inv.Total.Amount}
	for _, l := range inv.LineItems {
		c.line[l.ID] = l.Amount - l.Discount
		for _, x := range l.Taxes {
			c.tax[x.ID] = x.Amount
		}
	}
	for _, f := range inv.Fees {
		c.fee[f.Type] += f.Amount
	}
	notes, err := issuedCreditNotes(ctx, tx, inv.ID)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		for _, l := range n.LineItems {
			c.line[l.InvoiceLineItem] -= l.Amount
			for _, x := range l.Taxes {
				c.tax[x.InvoiceTax] -= x.Amount
			}
		}
		for _, f := range n.Fees {
			c.fee[f.Type] -= f.Amount
		}
		c.total -= n.Total.Amount
	}
	return c, nil
}

// fullCredit credits, for each line, tax and fee, what remains.
func fullCredit(n *CreditNote, inv *Invoice, c *creditable) {
	for _, l := range inv.LineItems {
		cl := CreditLine{Amount: max(c.line[l.ID], 0), InvoiceLineItem: l.ID, Taxes: []CreditTax{}}
		for _, x := range l.Taxes {
			if left := c.tax[x.ID]; left > 0 {
				cl.Taxes = append(cl.Taxes, CreditTax{Amount: left, InvoiceTax: x.ID})
			}
		}
		if cl.Amount > 0 || len(cl.Taxes) > 0 {
			n.LineItems = append(n.LineItems, cl)
		}
	}
	for _, f := range inv.Fees {
		if left := c.fee[f.Type]; left > 0 {
			n.Fees = append(n.Fees, Fee{Amount: left, Name: f.Name, Type: f.Type})
		}
	}
}

// partialCredit builds the note from what the request names; taxes are
// never derived from line amounts.
func partialCredit(n *CreditNote, inv *Invoice, in CreditNoteInput) error {
	lines := map[string]*InvoiceLineItem{}
	for i := range inv.LineItems {
		lines[inv.LineItems[i].ID] = &inv.LineItems[i]
	}
	seenLines, seenTaxes := map[string]bool{}, map[string]bool{}
	for i, li := range deref(in.LineItems) {
		field := fmt.Sprintf("lineItems[%d]", i)
		l, ok := lines[li.InvoiceLineItem]
		if !ok {
			return errs.Invalid("invoiceLineItemNotFound", "%s.invoiceLineItem %q is not a line of the invoice %s.", field, li.InvoiceLineItem, inv.ID)
		}
		if seenLines[l.ID] {
			return errs.Invalid("invoiceLineItemDuplicate", "%s.invoiceLineItem %s is named twice.", field, l.ID)
		}
		seenLines[l.ID] = true
		amount, err := creditAmount(field+".amount", li.Amount)
		if err != nil {
			return err
		}
		cl := CreditLine{Amount: amount, InvoiceLineItem: l.ID, Taxes: []CreditTax{}}
		for j, t := range li.Taxes {
			tf := fmt.Sprintf("%s.taxes[%d]", field, j)
			if !hasTax(l, t.InvoiceTax) {
				return errs.Invalid("invoiceTaxNotFound", "%s.invoiceTax %q is not a tax of the line %s.", tf, t.InvoiceTax, l.ID)
			}
			if seenTaxes[t.InvoiceTax] {
				return errs.Invalid("invoiceTaxDuplicate", "%s.invoiceTax %s is named twice.", tf, t.InvoiceTax)
			}
			seenTaxes[t.InvoiceTax] = true
			a, err := creditAmount(tf+".amount", t.Amount)
			if err != nil {
				return err
			}
			cl.Taxes = append(cl.Taxes, CreditTax{Amount: a, InvoiceTax: t.InvoiceTax})
		}
		n.LineItems = append(n.LineItems, cl)
	}
	seenFees := map[string]bool{}
	for i, f := range deref(in.Fees) {
		field := fmt.Sprintf("fees[%d]", i)
		fee := feeOf(inv, f.Type)
		if fee == nil {
			return errs.Invalid("feeNotFound", "%s.type %q is not a fee of the invoice %s.", field, f.Type, inv.ID)
		}
		if seenFees[f.Type] {
			return errs.Invalid("feeDuplicate", "%s.type %s is named twice.", field, f.Type)
		}
		seenFees[f.Type] = true
		a, err := creditAmount(field+".amount", f.Amount)
		if err != nil {
			return err
		}
		n.Fees = append(n.Fees, Fee{Amount: a, Name: fee.Name, Type: fee.Type})
	}
	return nil
}

// check refuses a note that would credit more than is left at any level.
func (c *creditable) check(n *CreditNote) error {
	exceeded := func(level, id string, want, left int64) error {
		return errs.Conflict("creditNoteAmountExceeded", "The credit note credits %d on the %s %s, but only %d is left to credit.",
			want, level, id, max(left, 0)).WithHint("The credit notes of an invoice cannot exceed it; void a credit note to credit again.")
	}
	for _, l := range n.LineItems {
		if l.Amount > c.line[l.InvoiceLineItem] {
			return exceeded("line", l.InvoiceLineItem, l.Amount, c.line[l.InvoiceLineItem])
		}
		for _, x := range l.Taxes {
			if x.Amount > c.tax[x.InvoiceTax] {
				return exceeded("tax", x.InvoiceTax, x.Amount, c.tax[x.InvoiceTax])
			}
		}
	}
	for _, f := range n.Fees {
		if f.Amount > c.fee[f.Type] {
			return exceeded("fee", f.Type, f.Amount, c.fee[f.Type])
		}
	}
	if n.Total.Amount > c.total {
		return exceeded("invoice", n.Invoice, n.Total.Amount, c.total)
	}
	return nil
}

func creditAmount(field string, v *int64) (int64, error) {
	if v == nil {
		return 0, errs.Invalid("fieldRequired", "%s is required.", field)
	}
	return *v, money.CheckAmount(field, *v)
}

func hasTax(l *InvoiceLineItem, id string) bool {
	for _, x := range l.Taxes {
		if x.ID == id {
			return true
		}
	}
	return false
}

func feeOf(inv *Invoice, typ string) *Fee {
	for i := range inv.Fees {
		if inv.Fees[i].Type == typ {
			return &inv.Fees[i]
		}
	}
	return nil
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}
