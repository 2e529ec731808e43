package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// Scenario tests for taxes, fees and the credit notes that adjust them
// (docs/billing.md §4, §5, §6). Expected amounts are worked out here from
// the rules and the rate file, not by calling the engine's code.

// usTaxFile is internal/billing/tax/taxdata/us.json as the tests read it.
type usTaxFile struct {
	Country, Currency string
	National          []usTaxRate
	Regions           map[string]struct {
		Name  string
		Taxes []usTaxRate
	}
}

type usTaxRate struct {
	Type, Name, Rate string
	Flat             *int64
}

func loadUSTaxes(t *testing.T) usTaxFile {
	t.Helper()
	raw, err := os.ReadFile("../billing/tax/taxdata/us.json")
	if err != nil {
		t.Fatal(err)
	}
	var f usTaxFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("us.json: %v", err)
	}
	return f
}

// ppmOf turns a percentage string of the rate file ("7.25") into parts per
// million, independently of the tax package's parser.
func ppmOf(t *testing.T, percent string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(percent, ".")
	if len(frac) > 4 {
		t.Fatalf("rate %q has more than 4 decimals", percent)
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt((frac + "0000")[:4], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("rate %q does not parse", percent)
	}
	return w*10_000 + f
}

// exclusiveTaxes are the taxes a price bears in a state when taxes are
// exclusive: national taxes, then the state's, in file order; each
// percentage rounded half up on its own, flat taxes as they are.
func (f usTaxFile) exclusiveTaxes(t *testing.T, state string, price int64) []quoteTax {
	t.Helper()
	out := []quoteTax{}
	for _, r := range append(slices.Clone(f.National), f.Regions[state].Taxes...) {
		tx := quoteTax{Name: r.Name, Type: r.Type}
		if r.Flat != nil {
			tx.Amount = *r.Flat
		} else {
			ppm := ppmOf(t, r.Rate)
			tx.Amount = (price*ppm + 500_000) / 1_000_000
			pct := float64(ppm) / 10_000
			tx.Percentage = &pct
		}
		out = append(out, tx)
	}
	return out
}

func sumTaxes(taxes []quoteTax) int64 {
	var sum int64
	for _, x := range taxes {
		sum += x.Amount
	}
	return sum
}

func taxAmounts(taxes []quoteTax) []int64 {
	out := []int64{}
	for _, x := range taxes {
		out = append(out, x.Amount)
	}
	return out
}

// pricedPlan is the world's monthly plan at a price in USD.
func (w *world) pricedPlan(price int64) string {
	w.t.Helper()
	return w.plan(map[string]any{"price": map[string]any{"amount": price, "currency": "USD"}})
}

// addressAt gives the user an address at place: "US-XX" is a US state
// (the API checks only the ZIP's format), "DE" is Berlin, outside the
// shipped rate data.
func (w *world) addressAt(user, place string) string {
	w.t.Helper()
	body := map[string]any{"line1": "1 Main Street", "city": "Springfield", "postalCode": "10024", "country": "US"}
	if state, ok := strings.CutPrefix(place, "US-"); ok {
		body["state"] = state
	} else {
		body = map[string]any{"line1": "Unter den Linden 1", "city": "Berlin", "postalCode": "10117", "country": place}
	}
	return w.Post(w.P("/users/"+user+"/addresses"), body).Expect(http.StatusCreated).ID()
}

// invoiceAt subscribes a new user to plan, with an address at place ("" =
// none), and returns the first invoice (its sums checked) and the address.
func (w *world) invoiceAt(plan, place string) (invoice, string) {
	w.t.Helper()
	user := w.user(nil)
	var extra map[string]any
	addr := ""
	if place != "" {
		addr = w.addressAt(user, place)
		extra = map[string]any{"userAddress": addr}
	}
	inv := w.firstInvoice(w.subscribe(plan, user, "auto", extra).ID)
	checkTotals(w.t, inv)
	return inv, addr
}

// invoiceTaxes reads the taxes (with names, types and rates) of an
// invoice's single line, and its fees.
func (w *world) invoiceTaxes(id string) ([]quoteTax, []map[string]any) {
	w.t.Helper()
	var v struct {
		LineItems []struct {
			Taxes []quoteTax `json:"taxes"`
		} `json:"lineItems"`
		Fees []map[string]any `json:"fees"`
	}
	w.Get(w.P("/invoices/" + id)).Expect(http.StatusOK).Decode(&v)
	if len(v.LineItems) != 1 {
		w.t.Fatalf("invoice %s has %d lines, want 1", id, len(v.LineItems))
	}
	return v.LineItems[0].Taxes, v.Fees
}

func exemptionOf(inv invoice) string {
	if inv.TaxExemptionReason == nil {
		return ""
	}
	return *inv.TaxExemptionReason
}

// creditTables are what issuing or refusing a credit note may change.
var creditTables = []string{"invoices", "credit_notes", "user_balances", "balance_entries", "events"}

func creditSnapshot(t testing.TB, db *store.DB) map[string]string {
	t.Helper()
	s := map[string]string{}
	for _, table := range creditTables {
		n, sum := tableChecksum(t, db, table)
		s[table] = fmt.Sprintf("rows=%d sha256=%x", n, sum)
	}
	return s
}

// refuseCredit posts a credit note that must be refused with 409
// creditNoteAmountExceeded naming what is left, and checks that nothing
// changed.
func (w *world) refuseCredit(db *store.DB, body map[string]any, left string) {
	w.t.Helper()
	before := creditSnapshot(w.t, db)
	e := w.Post(w.P("/creditNotes"), body).ExpectError(http.StatusConflict, "conflict", "creditNoteAmountExceeded")
	if msg, _ := e["message"].(string); !strings.Contains(msg, left) {
		w.t.Errorf("message %q does not say %q", msg, left)
	}
	if after := creditSnapshot(w.t, db); !maps.Equal(before, after) {
		w.t.Errorf("a refused credit note changed the database:\n  before %v\n  after  %v", before, after)
	}
}

// taxCredit is a lineItems entry crediting only taxes of the line.
func taxCredit(line string, taxes map[string]int64) []any {
	var list []any
	for _, id := range slices.Sorted(maps.Keys(taxes)) {
		list = append(list, map[string]any{"invoiceTax": id, "amount": taxes[id]})
	}
	return []any{map[string]any{"invoiceLineItem": line, "amount": 0, "taxes": list}}
}

// TestBillingPartialCreditLeavesTaxesUncredited: "While credit notes can
// cover the full amount of an invoice, certain taxes and fees may remain
// non-refundable and still need to be remitted to tax authorities." A
// credit of the whole line amount credits no tax and no fee; they stay
// creditable, exactly and no more.
func TestBillingPartialCreditLeavesTaxesUncredited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		line := inv.LineItems[0]
		net := line.Amount - line.Discount
		n := w.credit(map[string]any{"invoice": inv.ID, "lineItems": []any{map[string]any{"invoiceLineItem": line.ID, "amount": net}}})
		if n.Subtotal.Amount != net || n.Tax.Amount != 0 || n.Total.Amount != net || len(n.Fees) != 0 ||
			len(n.LineItems) != 1 || n.LineItems[0].Tax != 0 || len(n.LineItems[0].Taxes) != 0 {
			t.Fatalf("line-only credit note = %+v, want %d and no tax or fee", n, net)
		}
		if left := inv.TotalP.Amount - w.issuedTotal(inv.ID); left != inv.TaxP.Amount+30 {
			t.Fatalf("left to credit = %d, want the taxes %d and the fee 30", left, inv.TaxP.Amount)
		}
		w.refuseCredit(db, map[string]any{"invoice": inv.ID, "lineItems": []any{map[string]any{"invoiceLineItem": line.ID, "amount": 1}}},
			"only 0 is left")

		all := map[string]int64{}
		for _, x := range line.Taxes {
			all[x.ID] = x.Amount
		}
		fee := func(amount int64) []any { return []any{map[string]any{"type": "recoveryFee", "amount": amount}} }
		// One unit more than any tax, or the fee, is refused.
		for _, x := range line.Taxes {
			over := maps.Clone(all)
			over[x.ID]++
			w.refuseCredit(db, map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, over), "fees": fee(30)},
				fmt.Sprintf("only %d is left", x.Amount))
		}
		w.refuseCredit(db, map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, all), "fees": fee(31)}, "only 30 is left")

		rest := w.credit(map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, all), "fees": fee(30)})
		if rest.Subtotal.Amount != 0 || rest.Tax != inv.TaxP || rest.Total.Amount != inv.TaxP.Amount+30 || len(rest.Fees) != 1 ||
			rest.Fees[0].Amount != 30 || len(rest.LineItems[0].Taxes) != len(line.Taxes) {
			t.Fatalf("taxes-and-fee credit note = %+v of invoice %+v", rest, inv)
		}
		if got := w.issuedTotal(inv.ID); got != inv.TotalP.Amount {
			t.Fatalf("credited %d, want the invoice total %d", got, inv.TotalP.Amount)
		}
		w.refuseCredit(db, map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, map[string]int64{line.Taxes[0].ID: 1})}, "only 0 is left")
		w.refuseCredit(db, map[string]any{"invoice": inv.ID, "fees": fee(1)}, "only 0 is left")
		w.Post(w.P("/creditNotes"), map[string]any{"invoice": inv.ID}).ExpectError(http.StatusConflict, "conflict", "invoiceFullyCredited")
	})
}

// TestBillingCreditNoteAdjustsTax: "Once issued, the Credit Note will
// automatically adjust your tax calculations in the background to reflect
// the reduced revenue." A credited tax amount lowers what remains
// creditable for that tax only; crediting beyond it is refused and changes
// nothing; voiding the credit note gives the amount back.
func TestBillingCreditNoteAdjustsTax(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		line := inv.LineItems[0]
		if len(line.Taxes) < 2 {
			t.Fatalf("line taxes = %+v, want at least two", line.Taxes)
		}
		tax, other := line.Taxes[0], line.Taxes[1]
		first := w.credit(map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, map[string]int64{tax.ID: 10})})
		if first.Subtotal.Amount != 0 || first.Tax.Amount != 10 || first.Total.Amount != 10 || first.LineItems[0].Tax != 10 {
			t.Fatalf("tax credit note = %+v, want 10 of tax %s", first, tax.ID)
		}
		left := tax.Amount - 10
		w.refuseCredit(db, map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, map[string]int64{tax.ID: left + 1})},
			fmt.Sprintf("only %d is left", left))
		// Another tax of the line is not affected.
		w.credit(map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, map[string]int64{other.ID: other.Amount})})
		w.credit(map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, map[string]int64{tax.ID: left})})
		w.refuseCredit(db, map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, map[string]int64{tax.ID: 1})}, "only 0 is left")

		w.Post(w.P("/creditNotes/"+first.ID+"/void"), nil).Expect(http.StatusOK)
		w.refuseCredit(db, map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, map[string]int64{tax.ID: 11})}, "only 10 is left")
		again := w.credit(map[string]any{"invoice": inv.ID, "lineItems": taxCredit(line.ID, map[string]int64{tax.ID: 10})})
		if again.Tax.Amount != 10 {
			t.Fatalf("credit after void = %+v, want 10", again)
		}
		// A full credit now credits only what no tax credit note took.
		rest := w.credit(map[string]any{"invoice": inv.ID})
		var restTaxes int64
		for _, x := range rest.LineItems[0].Taxes {
			if x.InvoiceTax == tax.ID || x.InvoiceTax == other.ID {
				t.Fatalf("full credit credits tax %s again: %+v", x.InvoiceTax, rest)
			}
			restTaxes += x.Amount
		}
		if want := line.Tax - tax.Amount - other.Amount; rest.Tax.Amount != want || restTaxes != want || rest.Subtotal.Amount != line.Amount {
			t.Fatalf("full credit = %+v, want the line and %d of tax", rest, want)
		}
		if got := w.issuedTotal(inv.ID); got != inv.TotalP.Amount {
			t.Fatalf("credited %d, want %d", got, inv.TotalP.Amount)
		}
	})
}

// seed003PartialCreditNote is the body of seed 003's "Creating a partial
// credit note" curl, verbatim, trailing comma included.
const seed003PartialCreditNote = `{
    "invoice": "inv_0SNlurA049MEWV1QTRqvd18YuG25",
    "lineItems": [
      {
        "invoiceLineItem": "lin_0SNlurA049MEWV11QUKZGDMxJmKe",
        "amount": 100,
        "taxes": [
          {
            "invoiceTax": "itx_0SNlurA049MEWV5Mw7cjrxFUo2Y3",
            "amount": 10
          }
        ]
      }
    ],
  }`

// TestSeed003PartialCreditNoteRequest: the seed's partial credit-note curl
// ("For partial Credit Notes, specify the individual line items, fees, and
// taxes you want to credit by their IDs"). Verbatim, its trailing comma is
// not JSON: 400 malformed, nothing changes (docs/billing.md "Choices").
// Without the comma, and with this invoice's ids, it is 201 with the
// amounts it names.
func TestSeed003PartialCreditNoteRequest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, inv := paidInvoice(t, db)
		line, tax := inv.LineItems[0], inv.LineItems[0].Taxes[0]
		ours := strings.NewReplacer("inv_0SNlurA049MEWV1QTRqvd18YuG25", inv.ID, "lin_0SNlurA049MEWV11QUKZGDMxJmKe", line.ID,
			"itx_0SNlurA049MEWV5Mw7cjrxFUo2Y3", tax.ID).Replace(seed003PartialCreditNote)
		before := creditSnapshot(t, db)
		for _, body := range []string{seed003PartialCreditNote, ours} {
			w.Post(w.P("/creditNotes"), body).ExpectError(http.StatusBadRequest, "malformed", "requestBodyInvalidJSON")
		}
		if after := creditSnapshot(t, db); !maps.Equal(before, after) {
			t.Fatalf("a malformed credit note changed the database:\n  before %v\n  after  %v", before, after)
		}
		fixed := strings.Replace(ours, "],\n  }", "]\n  }", 1)
		if fixed == ours {
			t.Fatal("the seed body has no trailing comma to remove")
		}
		n := w.credit(fixed)
		if n.Invoice != inv.ID || n.Status != "issued" || n.CreditTo != "outOfBand" || n.Subtotal != (money{100, "USD"}) ||
			n.Tax != (money{10, "USD"}) || n.Total != (money{110, "USD"}) || len(n.Fees) != 0 || len(n.LineItems) != 1 ||
			n.LineItems[0].InvoiceLineItem != line.ID || n.LineItems[0].Amount != 100 || n.LineItems[0].Tax != 10 ||
			len(n.LineItems[0].Taxes) != 1 || n.LineItems[0].Taxes[0].InvoiceTax != tax.ID || n.LineItems[0].Taxes[0].Amount != 10 {
			t.Fatalf("seed credit note = %+v", n)
		}
		if got := w.creditNotes("?invoice=" + inv.ID); len(got) != 1 || got[0].ID != n.ID {
			t.Fatalf("credit notes = %+v, want %s", got, n.ID)
		}
	})
}

// TestBillingUSTaxes: "Stay compliant with U.S. tax regulations". An
// address in each state of internal/billing/tax/taxdata/us.json puts the
// national taxes, then the state's, in file order, on the invoice, with the
// amounts the file's rates give for the plan price (exclusive, half up).
// Oregon has no sales tax, only a flat 911 fee.
func TestBillingUSTaxes(t *testing.T) {
	t.Parallel()
	data := loadUSTaxes(t)
	states := slices.Sorted(maps.Keys(data.Regions))
	if data.Country != "US" || data.Currency != "USD" || len(states) != 51 {
		t.Fatalf("us.json: country %s, currency %s, %d regions; want US, USD, 51", data.Country, data.Currency, len(states))
	}
	or := data.Regions["OR"].Taxes
	if len(or) != 1 || or[0].Flat == nil || or[0].Type != "telecomFee" {
		t.Fatalf("Oregon in us.json = %+v, want one flat telecom fee", or)
	}
	const price = 1999 // rounds some rates up and some down
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan := w.pricedPlan(price)
		for _, state := range states {
			inv, addr := w.invoiceAt(plan, "US-"+state)
			want := data.exclusiveTaxes(t, state, price)
			taxes, _ := w.invoiceTaxes(inv.ID)
			if !reflect.DeepEqual(taxes, want) {
				t.Fatalf("%s taxes = %+v, want %+v", state, taxes, want)
			}
			tax := sumTaxes(want)
			if inv.Address == nil || *inv.Address != addr || inv.TaxExemptionReason != nil || inv.LineItems[0].Amount != price ||
				inv.TaxP != (money{tax, "USD"}) || inv.TotalP != (money{price + tax, "USD"}) {
				t.Fatalf("%s invoice = %+v, want tax %d, total %d, address %s", state, inv, tax, price+tax, addr)
			}
			if state == "OR" {
				for _, x := range taxes {
					if x.Type == "salesTax" {
						t.Fatalf("Oregon invoice has a sales tax: %+v", taxes)
					}
				}
				if last := taxes[len(taxes)-1]; last.Name != or[0].Name || last.Amount != *or[0].Flat || last.Percentage != nil {
					t.Fatalf("Oregon fee = %+v, want the flat %d", last, *or[0].Flat)
				}
			}
		}
	})
}

// TestBillingTaxInclusiveExclusive: taxBehavior (docs/billing.md §4) on a
// New York address (Federal USF 3.4 %, New York sales tax 4 %, 911
// surcharge 120 flat). Exclusive: line amount = price, total = price +
// taxes. Inclusive: total = price and line amount + tax = price; the flat
// fee comes out first, the net is rounded half up, and the rounding
// remainder goes to the largest rate.
func TestBillingTaxInclusiveExclusive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, behavior string
		price, amount  int64
		taxes          []int64 // USF, NY sales tax, NY 911
		total          int64
	}{
		{"exclusive", "exclusive", 1000, 1000, []int64{34, 40, 120}, 1194},
		{"exclusive half up", "exclusive", 250, 250, []int64{9, 10, 120}, 389},       // USF 8.5 → 9
		{"exclusive rounding", "exclusive", 1999, 1999, []int64{68, 80, 120}, 2267},  // 67.966, 79.96
		{"inclusive", "inclusive", 1194, 1000, []int64{34, 40, 120}, 1194},           // net 1074/1.074
		{"inclusive remainder", "inclusive", 1999, 1750, []int64{60, 69, 120}, 1999}, // net 1750: 59.5 → 60, 70 − 1
		{"inclusive flat fee only", "inclusive", 120, 0, []int64{0, 0, 120}, 120},    // nothing left after the flat fee
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "taxBehavior": tc.behavior})
				inv, _ := w.invoiceAt(w.pricedPlan(tc.price), "US-NY")
				taxes, _ := w.invoiceTaxes(inv.ID)
				l := inv.LineItems[0]
				var tax int64
				for _, x := range tc.taxes {
					tax += x
				}
				if got := taxAmounts(taxes); !slices.Equal(got, tc.taxes) {
					t.Fatalf("taxes = %v, want %v", got, tc.taxes)
				}
				if l.Amount != tc.amount || l.Tax != tax || inv.TaxP.Amount != tax || inv.TotalP.Amount != tc.total || inv.TaxExemptionReason != nil {
					t.Fatalf("invoice = %+v, want amount %d, tax %d, total %d", inv, tc.amount, tax, tc.total)
				}
				switch tc.behavior {
				case "exclusive":
					if l.Amount != tc.price || inv.TotalP.Amount != tc.price+tax {
						t.Fatalf("exclusive: amount %d, total %d; want %d and price + tax", l.Amount, inv.TotalP.Amount, tc.price)
					}
				case "inclusive":
					if inv.TotalP.Amount != tc.price || l.Amount+l.Tax != tc.price {
						t.Fatalf("inclusive: total %d, amount + tax %d; want the price %d", inv.TotalP.Amount, l.Amount+l.Tax, tc.price)
					}
				}
			})
		})
	}
}

// TestBillingTaxExemptionReasons: taxExemptionReason (docs/billing.md §4)
// is set when the tax is 0 for a reason. Taxes that cannot be calculated
// (no address and no taxCountry, or a country without rate data) are
// calculationFailed; an inclusive price below its flat fees is
// inclusiveTaxExceedsPrice; a free plan has no tax and no reason. A state
// without state taxes (Delaware) still owes the national USF in us.json,
// so its tax is 0 only when that rounds to 0, and the reason is null.
func TestBillingTaxExemptionReasons(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, behavior, place string
		price                 int64
		taxes                 []int64
		reason                string
	}{
		{"no address and no tax country", "exclusive", "", 1000, []int64{}, "calculationFailed"},
		{"address outside the rate data", "exclusive", "DE", 1000, []int64{}, "calculationFailed"},
		{"free plan", "exclusive", "US-NY", 0, []int64{}, ""},
		{"inclusive tax exceeds price", "inclusive", "US-NY", 100, []int64{}, "inclusiveTaxExceedsPrice"},
		{"state without state taxes", "exclusive", "US-DE", 1000, []int64{34}, ""},
		{"state without state taxes, USF rounds to 0", "exclusive", "US-DE", 14, []int64{0}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "taxBehavior": tc.behavior})
				inv, _ := w.invoiceAt(w.pricedPlan(tc.price), tc.place)
				taxes, _ := w.invoiceTaxes(inv.ID)
				var tax int64
				for _, x := range tc.taxes {
					tax += x
				}
				if got := taxAmounts(taxes); !slices.Equal(got, tc.taxes) {
					t.Fatalf("taxes = %v, want %v", got, tc.taxes)
				}
				if exemptionOf(inv) != tc.reason || inv.TaxP.Amount != tax || inv.LineItems[0].Amount != tc.price ||
					inv.TotalP.Amount != tc.price+tax {
					t.Fatalf("invoice = %+v, want reason %q, tax %d, total %d", inv, tc.reason, tax, tc.price+tax)
				}
				if tc.price == 0 && inv.Status != "paid" {
					t.Fatalf("free invoice status = %s, want paid", inv.Status)
				}
			})
		})
	}
}

// TestBillingTaxCountryFallback: "Jurisdiction: the address of the
// subscription or of the quote; without one, {Country: project.taxCountry};
// without that → calculationFailed" (docs/billing.md §5). From
// billing.jurisdiction and tax.Builtin.Calculate: taxCountry null gives no
// jurisdiction (calculationFailed); "US" gives {Country: US} with no
// state, which us.json's regionRequired refuses (calculationFailed); a
// country without a rate file ("DE") is refused too (calculationFailed).
// With only us.json shipped, no taxCountry alone yields taxes. An address
// always wins over taxCountry.
func TestBillingTaxCountryFallback(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan := w.pricedPlan(1000)
		untaxed := func(what string) {
			t.Helper()
			inv, _ := w.invoiceAt(plan, "")
			taxes, _ := w.invoiceTaxes(inv.ID)
			if exemptionOf(inv) != "calculationFailed" || inv.TaxP.Amount != 0 || len(taxes) != 0 || inv.Address != nil ||
				inv.TotalP.Amount != 1000 {
				t.Fatalf("%s: invoice = %+v, want untaxed, calculationFailed, no address", what, inv)
			}
			var q quoteView
			w.Post(w.P("/quotes"), map[string]any{"plan": plan, "user": w.user(nil)}).Expect(http.StatusCreated).Decode(&q)
			if q.TaxExemptionReason == nil || *q.TaxExemptionReason != "calculationFailed" || amountOf(t, q.Tax) != 0 {
				t.Fatalf("%s: quote = %+v, want calculationFailed", what, q)
			}
		}
		untaxed("taxCountry null")
		for _, country := range []string{"US", "DE"} {
			w.Patch(w.P(""), map[string]any{"taxCountry": country}).Expect(http.StatusOK)
			untaxed("taxCountry " + country)
		}
		// taxCountry is DE; a New York address is taxed in New York.
		inv, addr := w.invoiceAt(plan, "US-NY")
		taxes, _ := w.invoiceTaxes(inv.ID)
		if got := taxAmounts(taxes); !slices.Equal(got, []int64{34, 40, 120}) || inv.TaxExemptionReason != nil ||
			inv.Address == nil || *inv.Address != addr {
			t.Fatalf("with an address: taxes %v, invoice %+v; want the New York taxes", got, inv)
		}
	})
}

// TestBillingRecoveryFee: "Recovery fee: base = subtotal − discount (net
// revenue before tax); amount = roundDiv(base · bps, 10,000) ... omitted
// when 0. It is not taxed and is added on top in both behaviours"
// (docs/billing.md §4). New York address; the taxes are those of the line
// alone.
func TestBillingRecoveryFee(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, behavior  string
		percent         float64
		bps             int64
		price, tax, fee int64
	}{
		{"3 %", "exclusive", 3, 300, 1000, 194, 30},
		{"3 % half up", "exclusive", 3, 300, 1050, 198, 32},         // 31.5
		{"3 % rounds down", "exclusive", 3, 300, 1049, 198, 31},     // 31.47
		{"2.75 %", "exclusive", 2.75, 275, 1000, 194, 28},           // 27.5
		{"inclusive: net base", "inclusive", 3, 300, 1194, 194, 30}, // base 1000, not 1194
		{"0 %: no fee", "exclusive", 0, 0, 1000, 194, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := billedWorld(t, db, map[string]any{"currency": "USD", "taxBehavior": tc.behavior, "recoveryFeePercentage": tc.percent})
				inv, _ := w.invoiceAt(w.pricedPlan(tc.price), "US-NY")
				_, fees := w.invoiceTaxes(inv.ID)
				base := inv.SubtotalP.Amount - inv.DiscountP.Amount
				if fee := (base*tc.bps + 5_000) / 10_000; fee != tc.fee {
					t.Fatalf("table: %d bps of %d is %d, not %d", tc.bps, base, fee, tc.fee)
				}
				want := []map[string]any{}
				if tc.fee > 0 {
					want = append(want, map[string]any{"amount": float64(tc.fee), "name": "Recovery Fee", "type": "recoveryFee"})
				}
				if !reflect.DeepEqual(fees, want) {
					t.Fatalf("fees = %v, want %v", fees, want)
				}
				// Not taxed: the tax is that of the line; the fee is added on top.
				if inv.TaxP.Amount != tc.tax || inv.TotalP.Amount != base+tc.tax+tc.fee {
					t.Fatalf("invoice = %+v, want tax %d, total %d", inv, tc.tax, base+tc.tax+tc.fee)
				}
			})
		})
	}
}
