package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// creditNote is a credit note as the API returns it.
type creditNote struct {
	Object, ID, CreditTo, Invoice, Status string
	FileURL                               *string    `json:"fileUrl"`
	VoidedAt                              *time.Time `json:"voidedAt"`
	Subtotal, Tax, Total                  money
	Fees                                  []struct {
		Amount int64  `json:"amount"`
		Type   string `json:"type"`
	}
	LineItems []struct {
		Amount, Tax     int64
		InvoiceLineItem string `json:"invoiceLineItem"`
		Taxes           []struct {
			Amount     int64  `json:"amount"`
			InvoiceTax string `json:"invoiceTax"`
		}
	} `json:"lineItems"`
}

// paidInvoice is the paid first invoice of a subscription with taxes and
// a 30 recovery fee.
func paidInvoice(t *testing.T, db *store.DB) (*world, invoice) {
	t.Helper()
	w := billedWorld(t, db, map[string]any{"currency": "USD", "recoveryFeePercentage": 3})
	user := w.user(nil)
	s := w.subscribe(w.plan(nil), user, "auto", map[string]any{"userAddress": w.address(user)})
	inv := w.firstInvoice(s.ID)
	w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK).Decode(&inv)
	if inv.Status != "paid" || len(inv.LineItems) != 1 || len(inv.LineItems[0].Taxes) == 0 || len(inv.Fees) != 1 {
		t.Fatalf("paid invoice = %+v, want one taxed line and a fee", inv)
	}
	return w, inv
}

func (w *world) credit(body any) creditNote {
	w.t.Helper()
	var n creditNote
	w.Post(w.P("/creditNotes"), body).Expect(http.StatusCreated).Decode(&n)
	return n
}

func (w *world) creditNotes(query string) []creditNote {
	w.t.Helper()
	var page struct{ Items []creditNote }
	w.Get(w.P("/creditNotes" + query)).Expect(http.StatusOK).Decode(&page)
	return page.Items
}

// issuedTotal is what the issued credit notes of an invoice credit.
func (w *world) issuedTotal(inv string) int64 {
	var sum int64
	for _, n := range w.creditNotes("?limit=200&invoice=" + inv) {
		if n.Status == "issued" {
			sum += n.Total.Amount
		}
	}
	return sum
}

// TestBillingFullCreditNote: "For full Credit Notes, specify only the invoice ID."
func TestBillingFullCreditNote(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		n := w.credit(map[string]any{"invoice": inv.ID})
		line := inv.LineItems[0]
		if n.Object != "creditNote" || n.ID[:4] != "crn_" || n.Status != "issued" || n.CreditTo != "outOfBand" || n.FileURL != nil ||
			n.VoidedAt != nil || n.Invoice != inv.ID || n.Total != inv.TotalP || n.Subtotal.Amount != line.Amount || n.Tax != inv.TaxP ||
			len(n.Fees) != 1 || n.Fees[0].Amount != 30 || len(n.LineItems) != 1 || n.LineItems[0].InvoiceLineItem != line.ID ||
			len(n.LineItems[0].Taxes) != len(line.Taxes) || n.LineItems[0].Tax != line.Tax {
			t.Fatalf("full credit note = %+v of invoice %+v", n, inv)
		}
		var got creditNote
		w.Get(w.P("/creditNotes/" + n.ID)).Expect(http.StatusOK).Decode(&got)
		if got.ID != n.ID || got.Total != n.Total {
			t.Fatalf("GET = %+v, POST = %+v", got, n)
		}
		w.Post(w.P("/creditNotes"), map[string]any{"invoice": inv.ID}).ExpectError(http.StatusConflict, "conflict", "invoiceFullyCredited")
		if evs := types(w.eventsOf(n.ID)); !slices.Equal(evs, []string{"com.gigs.creditNote.created"}) {
			t.Fatalf("events = %v", evs)
		}
		w.Get(w.P("/creditNotes/crn_0SNlurA049MEWV1QTRqvd18YuG25")).ExpectError(http.StatusNotFound, "notFound", "creditNoteNotFound")
	})
}

// TestBillingPartialCreditNote and TestSeed003PartialCreditNoteRequest:
// "For partial Credit Notes, specify the individual line items, fees, and
// taxes you want to credit by their IDs" with the seed's body (its
// trailing comma removed); TestBillingPartialCreditLeavesTaxesUncredited
// and TestBillingCreditNoteAdjustsTax: what is not named stays creditable.
func TestBillingPartialCreditNote(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		line, tax := inv.LineItems[0], inv.LineItems[0].Taxes[0]
		body := fmt.Sprintf(`{
    "invoice": %q,
    "lineItems": [
      {
        "invoiceLineItem": %q,
        "amount": 100,
        "taxes": [
          {
            "invoiceTax": %q,
            "amount": 10
          }
        ]
      }
    ]
  }`, inv.ID, line.ID, tax.ID)
		n := w.credit(body)
		if n.Subtotal.Amount != 100 || n.Tax.Amount != 10 || n.Total.Amount != 110 || len(n.Fees) != 0 || len(n.LineItems) != 1 ||
			n.LineItems[0].Tax != 10 || n.LineItems[0].Taxes[0].InvoiceTax != tax.ID {
			t.Fatalf("partial credit note = %+v", n)
		}
		// A full credit now credits the rest, including the uncredited taxes and fee.
		rest := w.credit(map[string]any{"invoice": inv.ID})
		if rest.Total.Amount != inv.TotalP.Amount-110 || rest.Subtotal.Amount != line.Amount-100 || rest.Tax.Amount != line.Tax-10 ||
			len(rest.Fees) != 1 {
			t.Fatalf("rest = %+v of invoice %+v", rest, inv)
		}
		for _, l := range rest.LineItems[0].Taxes {
			if l.InvoiceTax == tax.ID && l.Amount != tax.Amount-10 {
				t.Fatalf("credited tax remainder = %d, want %d", l.Amount, tax.Amount-10)
			}
		}
		if got := w.creditNotes("?invoice=" + inv.ID + "&limit=1"); len(got) != 1 || got[0].ID != rest.ID {
			t.Fatalf("newest credit note = %+v, want %s", got, rest.ID)
		}
	})
}

// TestBillingCreditNotesNeverExceedInvoice: "the sum of all Credit Notes
// issued for an invoice cannot exceed the original amount", at the line,
// tax, fee and total level; a refusal changes nothing.
func TestBillingCreditNotesNeverExceedInvoice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		line, tax := inv.LineItems[0], inv.LineItems[0].Taxes[0]
		w.credit(map[string]any{"invoice": inv.ID, "lineItems": []any{map[string]any{"invoiceLineItem": line.ID, "amount": 400,
			"taxes": []any{map[string]any{"invoiceTax": tax.ID, "amount": 1}}}}, "fees": []any{map[string]any{"type": "recoveryFee", "amount": 10}}})
		for _, tc := range []struct {
			name string
			body map[string]any
		}{
			{"line", map[string]any{"lineItems": []any{map[string]any{"invoiceLineItem": line.ID, "amount": line.Amount - 400 + 1}}}},
			{"tax", map[string]any{"lineItems": []any{map[string]any{"invoiceLineItem": line.ID, "amount": 0,
				"taxes": []any{map[string]any{"invoiceTax": tax.ID, "amount": tax.Amount}}}}}},
			{"fee", map[string]any{"fees": []any{map[string]any{"type": "recoveryFee", "amount": 21}}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.body["invoice"] = inv.ID
				w.Post(w.P("/creditNotes"), tc.body).ExpectError(http.StatusConflict, "conflict", "creditNoteAmountExceeded")
				if n := len(w.creditNotes("?invoice=" + inv.ID)); n != 1 {
					t.Fatalf("credit notes after a refusal = %d, want 1", n)
				}
			})
		}
		// Exactly the remainder at every level is accepted, then nothing more.
		rest := w.credit(map[string]any{"invoice": inv.ID})
		if got := w.issuedTotal(inv.ID); got != inv.TotalP.Amount || rest.Fees[0].Amount != 20 {
			t.Fatalf("credited %d (rest %+v), want the invoice total %d", got, rest, inv.TotalP.Amount)
		}
		w.Post(w.P("/creditNotes"), map[string]any{"invoice": inv.ID, "lineItems": []any{map[string]any{"invoiceLineItem": line.ID, "amount": 1}}}).
			ExpectError(http.StatusConflict, "conflict", "creditNoteAmountExceeded")
	})
}

// TestBillingCreditNoteOnlyForPaidInvoice: "Credit Notes represent
// adjustments to a paid invoice." Plus the request's refusals (422).
func TestBillingCreditNoteOnlyForPaidInvoice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		unpaid := w.firstInvoice(s.ID)
		w.Post(w.P("/creditNotes"), map[string]any{"invoice": unpaid.ID}).ExpectError(http.StatusConflict, "conflict", "invoiceNotPaid")
		line, tax := inv.LineItems[0], inv.LineItems[0].Taxes[0]
		li := func(fields map[string]any) []any { fields["invoiceLineItem"] = line.ID; return []any{fields} }
		for _, tc := range []struct {
			name, code string
			body       map[string]any
		}{
			{"noInvoice", "invoiceNotFound", map[string]any{}},
			{"unknownInvoice", "invoiceNotFound", map[string]any{"invoice": "inv_0SNlurA049MEWV1QTRqvd18YuG25"}},
			{"creditTo", "creditToInvalid", map[string]any{"invoice": inv.ID, "creditTo": "card"}},
			{"line", "invoiceLineItemNotFound", map[string]any{"invoice": inv.ID, "lineItems": []any{map[string]any{"invoiceLineItem": "lin_0SNlurA049MEWV11QUKZGDMxJmKe", "amount": 1}}}},
			{"lineTwice", "invoiceLineItemDuplicate", map[string]any{"invoice": inv.ID, "lineItems": append(li(map[string]any{"amount": 1}), li(map[string]any{"amount": 1})...)}},
			{"tax", "invoiceTaxNotFound", map[string]any{"invoice": inv.ID, "lineItems": li(map[string]any{"amount": 1, "taxes": []any{map[string]any{"invoiceTax": "itx_0SNlurA049MEWV5Mw7cjrxFUo2Y3", "amount": 1}}})}},
			{"taxTwice", "invoiceTaxDuplicate", map[string]any{"invoice": inv.ID, "lineItems": li(map[string]any{"amount": 1, "taxes": []any{map[string]any{"invoiceTax": tax.ID, "amount": 1}, map[string]any{"invoiceTax": tax.ID, "amount": 1}}})}},
			{"fee", "feeNotFound", map[string]any{"invoice": inv.ID, "fees": []any{map[string]any{"type": "shipping", "amount": 1}}}},
			{"negative", "amountInvalid", map[string]any{"invoice": inv.ID, "lineItems": li(map[string]any{"amount": -1})}},
			{"empty", "creditNoteEmpty", map[string]any{"invoice": inv.ID, "lineItems": li(map[string]any{"amount": 0})}},
			{"emptyList", "creditNoteEmpty", map[string]any{"invoice": inv.ID, "lineItems": []any{}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w.Post(w.P("/creditNotes"), tc.body).ExpectError(http.StatusUnprocessableEntity, "invalid", tc.code)
			})
		}
		if n := len(w.creditNotes("")); n != 0 {
			t.Fatalf("credit notes after refusals = %d, want 0", n)
		}
		w.Get(w.P("/creditNotes?invoice=")).ExpectError(http.StatusUnprocessableEntity, "invalid", "emptyParameter")
		w.Get(w.P("/creditNotes?status=issued")).ExpectError(http.StatusUnprocessableEntity, "invalid", "unknownParameter")
	})
}

// TestBillingCreditNoteVoid: the credit note status table: issued "Change
// its status to voided", voided "No further action"; voided amounts become
// creditable again.
func TestBillingCreditNoteVoid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		n := w.credit(map[string]any{"invoice": inv.ID})
		w.advance(time.Hour)
		var v creditNote
		w.Post(w.P("/creditNotes/"+n.ID+"/void"), nil).Expect(http.StatusOK).Decode(&v)
		if v.Status != "voided" || v.ID != n.ID {
			t.Fatalf("voided = %+v", v)
		}
		mustEqualTime(t, "voidedAt", v.VoidedAt, worldStart.Add(time.Hour))
		w.Post(w.P("/creditNotes/"+n.ID+"/void"), nil).ExpectError(http.StatusConflict, "conflict", "creditNoteAlreadyVoided")
		again := w.credit(map[string]any{"invoice": inv.ID})
		if again.Total != inv.TotalP {
			t.Fatalf("credit after void = %+v, want the whole invoice again", again)
		}
		if evs := types(w.eventsOf(n.ID)); !slices.Equal(evs, []string{"com.gigs.creditNote.created", "com.gigs.creditNote.voided"}) {
			t.Fatalf("events = %v", evs)
		}
		w.Post(w.P("/creditNotes/crn_0SNlurA049MEWV1QTRqvd18YuG25/void"), nil).ExpectError(http.StatusNotFound, "notFound", "creditNoteNotFound")
	})
}

// balance reads the ledger: the balance row and the sum of its entries.
func balance(t *testing.T, db *store.DB, user string) (row, entries int64) {
	t.Helper()
	ctx := context.Background()
	if err := db.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM user_balances WHERE user_id = ?`, user).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM balance_entries WHERE user_id = ?`, user).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	return row, entries
}

// TestBillingVoidUserBalanceCreditNoteSpent: a userBalance credit note grows
// the user's balance; voiding it takes the total back, unless the balance
// was already spent.
func TestBillingVoidUserBalanceCreditNoteSpent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		first := w.credit(map[string]any{"invoice": inv.ID, "creditTo": "userBalance", "fees": []any{map[string]any{"type": "recoveryFee", "amount": 30}}})
		second := w.credit(map[string]any{"invoice": inv.ID, "creditTo": "userBalance", "lineItems": []any{map[string]any{"invoiceLineItem": inv.LineItems[0].ID, "amount": 500}}})
		if row, entries := balance(t, db, inv.User); row != 530 || entries != 530 || first.CreditTo != "userBalance" {
			t.Fatalf("balance = %d, entries = %d, want 530", row, entries)
		}
		w.Post(w.P("/creditNotes/"+first.ID+"/void"), nil).Expect(http.StatusOK)
		if row, entries := balance(t, db, inv.User); row != 500 || entries != 500 {
			t.Fatalf("after void balance = %d, entries = %d, want 500", row, entries)
		}
		// The balance is applied to an invoice (the ledger's invoice entry).
		ctx := context.Background()
		if _, err := db.Exec(ctx, `UPDATE user_balances SET amount = amount - 1 WHERE user_id = ?`, inv.User); err != nil {
			t.Fatal(err)
		}
		w.Post(w.P("/creditNotes/"+second.ID+"/void"), nil).ExpectError(http.StatusConflict, "conflict", "creditNoteBalanceSpent")
		if got := w.creditNotes("?invoice=" + inv.ID); got[0].ID != second.ID || got[0].Status != "issued" {
			t.Fatalf("after a refused void = %+v", got[0])
		}
		if row, _ := balance(t, db, inv.User); row != 499 {
			t.Fatalf("balance after a refused void = %d, want 499", row)
		}
	})
}

// TestBillingConcurrentCreditNotes: concurrent partial credits, each 60 %
// of the line, cannot together exceed it: exactly one is issued.
func TestBillingConcurrentCreditNotes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		line := inv.LineItems[0]
		body := map[string]any{"invoice": inv.ID, "lineItems": []any{map[string]any{"invoiceLineItem": line.ID, "amount": (line.Amount - line.Discount) * 6 / 10}}}
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Go(func() { statuses[i] = w.Post(w.P("/creditNotes"), body).Status })
		}
		wg.Wait()
		if created := slices.Index(statuses, http.StatusCreated); created < 0 || slices.ContainsFunc(statuses, func(s int) bool { return s != http.StatusCreated && s != http.StatusConflict }) {
			t.Fatalf("statuses = %v, want one 201 and 409s", statuses)
		}
		if n := len(w.creditNotes("?invoice=" + inv.ID)); n != 1 {
			t.Fatalf("issued %d credit notes, want 1 (statuses %v)", n, statuses)
		}
		if got := w.issuedTotal(inv.ID); got > inv.TotalP.Amount || got != (line.Amount-line.Discount)*6/10 {
			t.Fatalf("credited %d of %d", got, inv.TotalP.Amount)
		}
	})
}
