package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// quoteTables are the tables a quote may touch (only quotes) or must not.
var quoteTables = []string{"quotes", "events", "subscriptions", "sims", "users", "user_addresses", "plans", "projects"}

func quoteSnapshot(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	s := map[string]string{}
	for _, table := range quoteTables {
		n, sum := tableChecksum(t, db, table)
		s[table] = fmt.Sprintf("rows=%d sha256=%x", n, sum)
	}
	return s
}

// quoteFx is a billed project with a user, a California address and a
// plan at 10.00 USD that requires an address.
type quoteFx struct {
	e                *apitest.Env
	user, addr, plan string
	other, otherAddr string
	deAddr, openPlan string
}

func newQuoteFx(t *testing.T, db *store.DB, billing map[string]any, price int) *quoteFx {
	t.Helper()
	e := apitest.New(t, db)
	if billing != nil {
		e.Patch(e.P(""), map[string]any{"billing": billing}).Expect(http.StatusOK)
	}
	f := &quoteFx{e: e}
	f.user = fxUser(t, e, "quoted@example.com")["id"].(string)
	f.addr = e.Post(e.P("/users/"+f.user+"/addresses"), map[string]any{"line1": "1 Market Street", "city": "San Francisco",
		"state": "CA", "postalCode": "94105", "country": "US"}).Expect(http.StatusCreated).ID()
	f.deAddr = e.Post(e.P("/users/"+f.user+"/addresses"), map[string]any{"line1": "Unter den Linden 1", "city": "Berlin",
		"postalCode": "10117", "country": "DE"}).Expect(http.StatusCreated).ID()
	f.other = fxUser(t, e, "other@example.com")["id"].(string)
	f.otherAddr = fxAddress(t, e, f.other, 1)["id"].(string)
	usd := map[string]any{"amount": price, "currency": "USD"}
	f.plan = fxPlan(t, e, "price", usd, "requirements", map[string]any{"address": "present"})["id"].(string)
	f.openPlan = fxPlan(t, e, "price", usd)["id"].(string)
	return f
}

type quoteTax struct {
	Amount     int64    `json:"amount"`
	Name       string   `json:"name"`
	Percentage *float64 `json:"percentage"`
	Type       string   `json:"type"`
}

type quoteView struct {
	Object             string           `json:"object"`
	ID                 string           `json:"id"`
	Address            *string          `json:"address"`
	CreatedAt          time.Time        `json:"createdAt"`
	ExpiredAt          time.Time        `json:"expiredAt"`
	Discount           map[string]any   `json:"discount"`
	Subtotal           map[string]any   `json:"subtotal"`
	Tax                map[string]any   `json:"tax"`
	Total              map[string]any   `json:"total"`
	Fees               []map[string]any `json:"fees"`
	Reason             string           `json:"reason"`
	TaxExemptionReason *string          `json:"taxExemptionReason"`
	User               string           `json:"user"`
	Voucher            any              `json:"voucher"`
	LineItems          []struct {
		Amount   int64      `json:"amount"`
		Discount int64      `json:"discount"`
		Tax      int64      `json:"tax"`
		Total    int64      `json:"total"`
		Plan     string     `json:"plan"`
		Taxes    []quoteTax `json:"taxes"`
	} `json:"lineItems"`
}

func amountOf(t *testing.T, p map[string]any) int64 {
	t.Helper()
	if p["currency"] != "USD" {
		t.Fatalf("price %v is not in USD", p)
	}
	return int64(p["amount"].(float64))
}

// checkQuote checks the sums and identities every quote must satisfy and
// returns subtotal, tax, fees and total.
func checkQuote(t *testing.T, q quoteView, user, plan string) (subtotal, tax, fees, total int64) {
	t.Helper()
	if q.Object != "quote" || len(q.ID) < 4 || q.ID[:4] != "quo_" || q.Reason != "subscriptionCreation" || q.User != user || q.Voucher != nil {
		t.Fatalf("quote header: %+v", q)
	}
	if d := q.ExpiredAt.Sub(q.CreatedAt); d != 2*time.Hour {
		t.Fatalf("expiredAt − createdAt = %v, want 2h", d)
	}
	subtotal, tax, total = amountOf(t, q.Subtotal), amountOf(t, q.Tax), amountOf(t, q.Total)
	discount := amountOf(t, q.Discount)
	for _, f := range q.Fees {
		fees += int64(f["amount"].(float64))
	}
	if total != subtotal-discount+tax+fees {
		t.Fatalf("total %d ≠ subtotal %d − discount %d + tax %d + fees %d", total, subtotal, discount, tax, fees)
	}
	if len(q.LineItems) != 1 || q.LineItems[0].Plan != plan {
		t.Fatalf("line items: %+v", q.LineItems)
	}
	l := q.LineItems[0]
	var sum int64
	for _, x := range l.Taxes {
		sum += x.Amount
	}
	if l.Amount != subtotal || l.Tax != tax || sum != tax || l.Total != l.Amount-l.Discount+l.Tax {
		t.Fatalf("line %+v does not add up to subtotal %d, tax %d", l, subtotal, tax)
	}
	return subtotal, tax, fees, total
}

// TestQuoteTaxes: a California quote shows each tax and the recovery fee,
// exclusive or inclusive; an address outside the rate data is untaxed with
// calculationFailed. A quote stores one row and changes nothing else.
func TestQuoteTaxes(t *testing.T) {
	t.Parallel()
	p := func(v float64) *float64 { return &v }
	caTaxes := []quoteTax{
		{Amount: 34, Name: "Federal Universal Service Fee", Percentage: p(3.4), Type: "telecomFee"},
		{Amount: 73, Name: "California Sales Tax", Percentage: p(7.25), Type: "salesTax"},
		{Amount: 30, Name: "California 911 Surcharge", Type: "telecomFee"},
	}
	for _, tc := range []struct {
		name                      string
		behavior                  string
		price                     int
		address                   string // "ca", "de" or "" (none)
		subtotal, tax, fee, total int64
		reason                    string
		taxes                     []quoteTax
	}{
		{name: "exclusive", behavior: "exclusive", price: 1000, address: "ca", subtotal: 1000, tax: 137, fee: 30, total: 1167, taxes: caTaxes},
		{name: "inclusive", behavior: "inclusive", price: 1137, address: "ca", subtotal: 1000, tax: 137, fee: 30, total: 1167, taxes: caTaxes},
		{name: "outside the US", behavior: "exclusive", price: 1000, address: "de", subtotal: 1000, fee: 30, total: 1030,
			reason: "calculationFailed", taxes: []quoteTax{}},
		{name: "no address and no tax country", behavior: "exclusive", price: 1000, subtotal: 1000, fee: 30, total: 1030,
			reason: "calculationFailed", taxes: []quoteTax{}},
		{name: "free plan", behavior: "exclusive", price: 0, address: "ca", taxes: []quoteTax{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				f := newQuoteFx(t, db, map[string]any{"taxBehavior": tc.behavior, "recoveryFeePercentage": 3}, tc.price)
				body := map[string]any{"plan": f.plan, "user": f.user}
				switch tc.address {
				case "ca":
					body["address"] = f.addr
				case "de":
					body["address"] = f.deAddr
				default:
					body["plan"] = f.openPlan
				}
				before := quoteSnapshot(t, db)
				var q quoteView
				f.e.Post(f.e.P("/quotes"), body).Expect(http.StatusCreated).Decode(&q)
				subtotal, tax, fees, total := checkQuote(t, q, f.user, body["plan"].(string))
				if subtotal != tc.subtotal || tax != tc.tax || fees != tc.fee || total != tc.total {
					t.Fatalf("subtotal %d tax %d fees %d total %d; want %d %d %d %d", subtotal, tax, fees, total, tc.subtotal, tc.tax, tc.fee, tc.total)
				}
				if got := q.LineItems[0].Taxes; !reflect.DeepEqual(got, tc.taxes) {
					t.Fatalf("taxes %+v, want %+v", got, tc.taxes)
				}
				if reason := ""; q.TaxExemptionReason != nil && *q.TaxExemptionReason != tc.reason || q.TaxExemptionReason == nil && tc.reason != reason {
					t.Fatalf("taxExemptionReason %v, want %q", q.TaxExemptionReason, tc.reason)
				}
				if tc.fee > 0 && !reflect.DeepEqual(q.Fees, []map[string]any{{"amount": float64(tc.fee), "name": "Recovery Fee", "type": "recoveryFee"}}) {
					t.Fatalf("fees %v", q.Fees)
				}
				if tc.fee == 0 && len(q.Fees) != 0 {
					t.Fatalf("a zero fee is omitted; got %v", q.Fees)
				}
				wantAddr := map[string]string{"ca": f.addr, "de": f.deAddr}[tc.address]
				if (q.Address == nil) != (wantAddr == "") || q.Address != nil && *q.Address != wantAddr {
					t.Fatalf("address %v, want %q", q.Address, wantAddr)
				}
				after := quoteSnapshot(t, db)
				for _, table := range quoteTables {
					if table != "quotes" && before[table] != after[table] {
						t.Errorf("a quote changed %s: %s → %s", table, before[table], after[table])
					}
				}
				if n, _ := tableChecksum(t, db, "quotes"); n != 1 {
					t.Errorf("quotes has %d rows, want 1", n)
				}
			})
		})
	}
}

// TestQuoteRefusals: each refusal names its rule and leaves the database
// exactly as it was.
func TestQuoteRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newQuoteFx(t, db, map[string]any{"recoveryFeePercentage": 3}, 1000)
		e := f.e
		eur := fxPlan(t, e, "price", map[string]any{"amount": 1000, "currency": "EUR"})["id"].(string)
		archived := fxPlan(t, e)["id"].(string)
		e.Patch(e.P("/plans/"+archived), map[string]any{"status": "archived"}).Expect(http.StatusOK)
		for _, tc := range []struct {
			name      string
			body      any
			status    int
			typ, code string
		}{
			{"address required", map[string]any{"plan": f.plan, "user": f.user}, 422, "invalid", "userAddressRequired"},
			{"address null", map[string]any{"plan": f.plan, "user": f.user, "address": nil}, 422, "invalid", "userAddressRequired"},
			{"address of another user", map[string]any{"plan": f.plan, "user": f.user, "address": f.otherAddr}, 422, "invalid", "userAddressNotFound"},
			{"unknown address", map[string]any{"plan": f.plan, "user": f.user, "address": "adr_0000000000000000000000"}, 422, "invalid", "userAddressNotFound"},
			{"unknown user", map[string]any{"plan": f.plan, "user": "usr_0000000000000000000000", "address": f.addr}, 422, "invalid", "userNotFound"},
			{"unknown plan", map[string]any{"plan": "pln_0000000000000000000000", "user": f.user}, 422, "invalid", "planNotFound"},
			{"archived plan", map[string]any{"plan": archived, "user": f.user}, 422, "invalid", "planNotAvailable"},
			{"plan in another currency", map[string]any{"plan": eur, "user": f.user}, 422, "invalid", "planCurrencyMismatch"},
			{"missing plan", map[string]any{"user": f.user}, 422, "invalid", "fieldRequired"},
			{"missing user", map[string]any{"plan": f.openPlan}, 422, "invalid", "fieldRequired"},
			{"unknown field", map[string]any{"plan": f.openPlan, "user": f.user, "voucher": "SPRING"}, 422, "invalid", ""},
			{"not JSON", "{", 400, "malformed", ""},
		} {
			before := quoteSnapshot(t, db)
			e.Post(e.P("/quotes"), tc.body).ExpectError(tc.status, tc.typ, tc.code)
			after := quoteSnapshot(t, db)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("%s changed the database", tc.name)
			}
		}

		// The same request is accepted once billing and the address are right.
		e.Post(e.P("/quotes"), map[string]any{"plan": f.plan, "user": f.user, "address": f.addr}).Expect(http.StatusCreated)
	})
}

// TestQuoteNeedsBilling: without Billing on the project a quote is 409
// billingNotEnabled and nothing is stored.
func TestQuoteNeedsBilling(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newQuoteFx(t, db, nil, 1000)
		before := quoteSnapshot(t, db)
		f.e.Post(f.e.P("/quotes"), map[string]any{"plan": f.plan, "user": f.user, "address": f.addr}).
			ExpectError(http.StatusConflict, "conflict", "billingNotEnabled")
		if after := quoteSnapshot(t, db); !reflect.DeepEqual(before, after) {
			t.Errorf("a refused quote changed the database")
		}
	})
}
