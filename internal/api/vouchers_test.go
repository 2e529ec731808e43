package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// Voucher rules of issue 14 and reference §2.16 (docs/payments.md).

// voucher creates a voucher with the given fields and code.
func (w *world) voucher(code string, fields map[string]any) string {
	w.t.Helper()
	body := map[string]any{"name": "Welcome", "priceDiscountPercentage": 10, "recurrence": map[string]any{"type": "forever"}, "codes": []string{code}}
	for k, v := range fields {
		body[k] = v
	}
	return w.Post(w.P("/vouchers"), body).Expect(http.StatusCreated).ID()
}

// TestVoucherRecurrenceOverSixRenewals: once discounts the first invoice,
// repeating those of periods starting within durationInMonths of the
// activation, forever every invoice; a fixed amount or a percentage.
func TestVoucherRecurrenceOverSixRenewals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		voucher   map[string]any
		discounts []int64 // creation, then 6 renewals; plan price 1000
	}{
		{"once", map[string]any{"recurrence": map[string]any{"type": "once"}, "priceDiscountPercentage": nil,
			"priceDiscount": map[string]any{"amount": 250, "currency": "USD"}}, []int64{250, 0, 0, 0, 0, 0, 0}},
		{"repeating", map[string]any{"recurrence": map[string]any{"type": "repeating", "durationInMonths": 3}}, []int64{100, 100, 100, 0, 0, 0, 0}},
		{"forever", map[string]any{"priceDiscountPercentage": 15}, []int64{150, 150, 150, 150, 150, 150, 150}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := payWorld(t, db, nil)
				w.voucher("SAVE", tc.voucher)
				u := w.user(nil)
				w.card(u, cardVisa)
				w.advanceTo(blActivation.Add(-2 * time.Minute))
				s := w.subscribe(w.plan(nil), u, "auto", map[string]any{"voucherCode": "SAVE"})
				w.advanceTo(blActivation.AddDate(0, 6, 0))
				got := []int64{w.firstInvoice(s.ID).DiscountP.Amount}
				for n := 2; n <= 7; n++ {
					inv := w.blInvoice(s.ID, n)
					if inv.Status != "paid" || inv.TotalP.Amount != 1000-inv.DiscountP.Amount {
						t.Fatalf("invoice of period %d: %s total %d discount %d", n, inv.Status, inv.TotalP.Amount, inv.DiscountP.Amount)
					}
					got = append(got, inv.DiscountP.Amount)
				}
				if !slices.Equal(got, tc.discounts) {
					t.Fatalf("discounts = %v, want %v", got, tc.discounts)
				}
			})
		})
	}
}

// TestVoucherRedeemedOnceUnderConcurrency: out of 50 subscriptions
// created at once with the code of a voucher limited to 5 redemptions,
// exactly 5 succeed; the voucher is then retired (maxRedemptionsReached).
func TestVoucherRedeemedOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		id := w.voucher("FIVE", map[string]any{"restrictions": map[string]any{"maximumRedemptions": 5}})
		plan := w.plan(nil)
		users := make([]string, 50)
		for i := range users {
			users[i] = w.user(nil)
		}
		statuses := make([]int, len(users))
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := w.Do(apitest.Request{Method: http.MethodPost, Path: w.P("/subscriptions"),
					Body: map[string]any{"plan": plan, "user": u, "sim": "auto", "voucherCode": "FIVE"}})
				statuses[i] = r.Status
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				ok++
			case http.StatusUnprocessableEntity:
				refused++
			}
		}
		var v struct {
			Redemptions   int
			Status        string
			RetiredReason *string
		}
		w.Get(w.P("/vouchers/" + id)).Expect(http.StatusOK).Decode(&v)
		if ok != 5 || refused != 45 || v.Redemptions != 5 || v.Status != "retired" || v.RetiredReason == nil || *v.RetiredReason != "maxRedemptionsReached" {
			t.Fatalf("created %d, refused %d (statuses %v); voucher %+v", ok, refused, statuses, v)
		}
		var subs struct{ Items []sub }
		w.Get(w.P("/subscriptions?limit=200")).Expect(http.StatusOK).Decode(&subs)
		if len(subs.Items) != 5 {
			t.Fatalf("%d subscriptions, want 5: a refused redemption left one behind", len(subs.Items))
		}
	})
}

// TestVoucherCodeErrors: the documented voucher errors, and a refused
// code changes nothing.
func TestVoucherCodeErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		plan, other := w.plan(nil), w.plan(nil)
		w.voucher("LATE", map[string]any{"restrictions": map[string]any{"expiresAt": worldStart.Add(time.Hour).Format(time.RFC3339)}})
		retired := w.voucher("GONE", nil)
		w.Post(w.P("/vouchers/"+retired+"/retire"), nil).Expect(http.StatusOK)
		w.voucher("OTHER", map[string]any{"restrictions": map[string]any{"plans": []string{other}}})
		w.voucher("EUROS", map[string]any{"priceDiscountPercentage": nil, "priceDiscount": map[string]any{"amount": 100, "currency": "EUR"}})
		w.advance(2 * time.Hour)
		u := w.user(nil)
		for _, tc := range []struct{ code, want string }{
			{"NOPE", "voucherCodeNotFound"},
			{"LATE", "voucherCodeExpired"},
			{"GONE", "voucherCodeInvalid"},
			{"OTHER", "voucherCodeInvalid"},
			{"EUROS", "voucherCodeInvalid"},
		} {
			w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": u, "sim": "auto", "voucherCode": tc.code}).
				ExpectError(http.StatusUnprocessableEntity, "invalid", tc.want)
			w.Post(w.P("/quotes"), map[string]any{"plan": plan, "user": u, "voucherCode": tc.code}).
				ExpectError(http.StatusUnprocessableEntity, "invalid", tc.want)
		}
		if n := len(w.invoices("")); n != 0 {
			t.Fatalf("%d invoices after refusals", n)
		}
		w.Get(w.P("/vouchers/vou_0356gbGMNUDVLX72zclNIQ")).ExpectError(http.StatusNotFound, "notFound", "voucherNotFound")
		var page struct{ Items []struct{ ID, Status string } }
		w.Get(w.P("/vouchers?status[]=retired")).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 2 {
			t.Fatalf("retired vouchers = %+v, want the expired and the retired one", page.Items)
		}
		w.Get(w.P("/vouchers?code=GONE")).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != retired {
			t.Fatalf("voucher of code GONE = %+v", page.Items)
		}
		for _, bad := range []map[string]any{
			{"priceDiscount": map[string]any{"amount": 100, "currency": "USD"}},
			{"priceDiscountPercentage": 101},
			{"recurrence": map[string]any{"type": "repeating"}},
			{"recurrence": map[string]any{"type": "once", "durationInMonths": 2}},
			{"codes": []string{"has space"}},
		} {
			body := map[string]any{"name": "Bad", "priceDiscountPercentage": 10, "recurrence": map[string]any{"type": "forever"}}
			for k, v := range bad {
				body[k] = v
			}
			w.Post(w.P("/vouchers"), body).Expect(http.StatusUnprocessableEntity)
		}
		w.Post(w.P("/vouchers/"+retired+"/codes"), map[string]any{"code": "LATE"}).ExpectError(http.StatusConflict, "conflict", "voucherCodeAlreadyExists")
	})
}

// TestVoucherFullDiscountPaysZeroInvoiceAtOnce: "A 100 % discount makes a
// zero invoice paid at once", whatever paymentBehavior.
func TestVoucherFullDiscountPaysZeroInvoiceAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		w.voucher("FREE", map[string]any{"priceDiscountPercentage": 100})
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", map[string]any{"voucherCode": "FREE"})
		inv := w.firstInvoice(s.ID)
		if inv.Status != "paid" || inv.TotalP.Amount != 0 || inv.DiscountP.Amount != 1000 || s.Status != "pending" {
			t.Fatalf("invoice %s total %d discount %d, subscription %s", inv.Status, inv.TotalP.Amount, inv.DiscountP.Amount, s.Status)
		}
	})
}

// TestQuoteWithVoucherAndRead: a quote made with a voucher code is
// discounted and names the voucher, without redeeming it; GET /quotes/{id}
// reads it back as created.
func TestQuoteWithVoucherAndRead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		id := w.voucher("TEN", nil)
		r := w.Post(w.P("/quotes"), map[string]any{"plan": w.plan(nil), "user": w.user(nil), "voucherCode": "TEN"}).Expect(http.StatusCreated)
		var q struct {
			ID       string
			Voucher  *string
			Discount money
		}
		r.Decode(&q)
		read := w.Get(w.P("/quotes/" + q.ID)).Expect(http.StatusOK)
		if q.Voucher == nil || *q.Voucher != id || q.Discount.Amount != 100 || string(read.Body) != string(r.Body) {
			t.Fatalf("quote %s\nread back %s", r.Body, read.Body)
		}
		var v struct{ Redemptions int }
		w.Get(w.P("/vouchers/" + id)).Expect(http.StatusOK).Decode(&v)
		if v.Redemptions != 0 {
			t.Fatalf("a quote redeemed the voucher: %d", v.Redemptions)
		}
		w.Get(w.P("/quotes/quo_0356gbGMNUDVLX72zclNIQ")).ExpectError(http.StatusNotFound, "notFound", "quoteNotFound")
	})
}

// TestUserBalanceShowsLedger: GET /users/{id}/balance shows what credit
// notes to the balance added and what invoices took.
func TestUserBalanceShowsLedger(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		inv := w.firstInvoice(s.ID)
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		note := w.credit(map[string]any{"invoice": inv.ID, "creditTo": "userBalance"})
		var b struct {
			Amounts []money
			Entries []struct {
				Amount     money
				SourceType string
				Source     string
			}
		}
		w.Get(w.P("/users/" + inv.User + "/balance")).Expect(http.StatusOK).Decode(&b)
		want := fmt.Sprintf("%+v", []money{{Amount: note.Total.Amount, Currency: "USD"}})
		if fmt.Sprintf("%+v", b.Amounts) != want || len(b.Entries) != 1 || b.Entries[0].SourceType != "creditNote" || b.Entries[0].Source != note.ID {
			t.Fatalf("balance = %+v", b)
		}
		w.Get(w.P("/users/usr_0356gbGMNUDVLX72zclNIQ/balance")).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
	})
}
