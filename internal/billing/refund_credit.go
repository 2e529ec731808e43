package billing

import (
	"context"
	"math/big"
	"sort"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// CreditRefund issues the out-of-band credit note of a refund of amount on
// a paid invoice (docs/payments.md). A refund of everything left credits
// every line, tax and fee in full; a partial one spreads the amount over
// them in proportion to what is left of each, so that the taxes credited
// follow the revenue refunded (seed 003). The caller holds the invoice
// lock (Lock).
func CreditRefund(ctx context.Context, tx *store.Tx, project, invoice string, amount int64, now time.Time) (*CreditNote, error) {
	inv, err := loadInvoice(ctx, tx, project, invoice)
	if err != nil {
		return nil, err
	}
	if inv.Status != StatusPaid {
		return nil, errs.Conflict("invoiceNotPaid", "The invoice %s is %s; only paid invoices can be refunded.", inv.ID, inv.Status)
	}
	return creditShare(ctx, tx, project, inv, CreditToOutOfBand, func(full int64) int64 { return amount }, now)
}

// creditShare issues a credit note of the part of what is left to credit
// on a paid invoice that share picks from that total, spread over lines,
// taxes and fees in proportion to what is left of each.
func creditShare(ctx context.Context, tx *store.Tx, project string, inv *Invoice, creditTo string, share func(full int64) int64,
	now time.Time) (*CreditNote, error) {
	left, err := remaining(ctx, tx, inv)
	if err != nil {
		return nil, err
	}
	note := newCreditNote(inv, creditTo, now)
	fullCredit(note, inv, left)
	full, err := note.totals(inv.Total.Currency)
	if err != nil {
		return nil, err
	}
	amount := share(full)
	if amount > full {
		return nil, errs.Invalid("paymentRefundAmountExceeded", "The refund of %d is more than the %d left to credit on the invoice %s.",
			amount, full, inv.ID)
	}
	if amount < full {
		scale(note, amount, full)
		if _, err := note.totals(inv.Total.Currency); err != nil {
			return nil, err
		}
	}
	if err := left.check(note); err != nil {
		return nil, err
	}
	return note, recordCreditNote(ctx, tx, project, note, originAPI, now)
}

// scale multiplies every amount of the note by amount/full, rounding down,
// and gives the units lost to rounding to the largest remainders (ties to
// the first), so the amounts add up to amount exactly.
func scale(n *CreditNote, amount, full int64) {
	var parts []*int64
	for i := range n.LineItems {
		parts = append(parts, &n.LineItems[i].Amount)
		for j := range n.LineItems[i].Taxes {
			parts = append(parts, &n.LineItems[i].Taxes[j].Amount)
		}
	}
	for i := range n.Fees {
		parts = append(parts, &n.Fees[i].Amount)
	}
	type share struct {
		i   int
		rem *big.Int
	}
	shares := make([]share, len(parts))
	var given int64
	for i, p := range parts {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(*p), big.NewInt(amount)), big.NewInt(full), new(big.Int))
		*p = q.Int64()
		given += *p
		shares[i] = share{i, r}
	}
	sort.SliceStable(shares, func(a, b int) bool { return shares[a].rem.Cmp(shares[b].rem) > 0 })
	for k := 0; given < amount; k++ {
		*parts[shares[k].i]++
		given++
	}
}
