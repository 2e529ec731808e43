package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cellgate/internal/operators"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestConsoleRefundsAPaymentWithItsCreditNote: a refund from the payment
// page goes through the API's rules: partial, then the rest, never more
// than was paid, each with its credit note.
func TestConsoleRefundsAPaymentWithItsCreditNote(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Support)
		list := b.get("/console/p/acme/payments?status=succeeded").expect(http.StatusOK)
		if !strings.Contains(list.body, w.ids["payment"]) {
			t.Fatalf("payments page without the payment: %s", list.body)
		}
		pay := "/console/p/acme/payments/" + w.ids["payment"]
		if p := b.get(pay).expect(http.StatusOK); !strings.Contains(p.body, `id="refund-form"`) {
			t.Fatalf("payment page without a refund form: %s", p.body)
		}
		var payment struct{ Amount, Refunded struct{ Amount int64 } }
		w.Get(w.P("/payments/" + w.ids["payment"])).Expect(http.StatusOK).Decode(&payment)
		paid := payment.Amount.Amount
		if p := b.post(pay+"/refund", url.Values{"amount": {fmt.Sprint(paid + 1)}}); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("refunding more than was paid: %d", p.status)
		}
		b.post(pay+"/refund", url.Values{"amount": {"200"}}).follow().expect(http.StatusOK)
		p := b.post(pay+"/refund", nil).follow().expect(http.StatusOK)
		if !strings.Contains(p.body, usd(paid)) || strings.Contains(p.body, `id="refund-form"`) {
			t.Fatalf("after refunding everything (%s): %s", usd(paid), p.body)
		}
		w.Get(w.P("/payments/" + w.ids["payment"])).Expect(http.StatusOK).Decode(&payment)
		if payment.Refunded.Amount != paid {
			t.Errorf("refunded %d, want %d", payment.Refunded.Amount, paid)
		}
		if n := w.count(`SELECT COUNT(*) FROM credit_notes WHERE project_id = 'acme'`); n != 2 {
			t.Errorf("%d credit notes, want one per refund (2)", n)
		}
	})
}

// TestConsoleRetiresAVoucher: a retired voucher's codes stop working.
func TestConsoleRetiresAVoucher(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Developer)
		if p := b.get("/console/p/acme/vouchers?status=available").expect(http.StatusOK); !strings.Contains(p.body, w.ids["voucher"]) {
			t.Fatalf("vouchers page: %s", p.body)
		}
		b.post("/console/p/acme/vouchers/"+w.ids["voucher"]+"/retire", nil).follow().expect(http.StatusOK)
		var v struct{ Status string }
		w.Get(w.P("/vouchers/" + w.ids["voucher"])).Expect(http.StatusOK).Decode(&v)
		if v.Status != "retired" {
			t.Errorf("voucher status %s, want retired", v.Status)
		}
		w.Post(w.P("/quotes"), map[string]any{"plan": w.ids["plan"], "user": w.ids["user"], "voucherCode": "WELCOME"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "voucherCodeInvalid")
	})
}

// TestConsoleCreatesAndArchivesCatalogItems: the catalog forms become the
// API's bodies, so the API's rules answer a bad one and change nothing.
func TestConsoleCreatesAndArchivesCatalogItems(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Owner)
		b.get("/console/p/acme/catalog").expect(http.StatusOK)
		plans := w.count(`SELECT COUNT(*) FROM plans WHERE project_id = 'acme'`)
		bad := url.Values{"name": {"Broken"}, "provider": {"test"}, "simType": {"eSIM"}, "price": {"1000"}, "currency": {"usd"}, "validityMonths": {"1"}}
		if p := b.post("/console/p/acme/catalog/plans", bad); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("a lower-case currency: %d %s", p.status, p.body)
		}
		if n := w.count(`SELECT COUNT(*) FROM plans WHERE project_id = 'acme'`); n != plans {
			t.Fatalf("a refused plan changed the catalog: %d plans, had %d", n, plans)
		}
		good := url.Values{"name": {"Unlimited"}, "provider": {"test"}, "simType": {"eSIM"}, "price": {"4500"}, "currency": {"USD"}, "validityMonths": {"1"}}
		p := b.post("/console/p/acme/catalog/plans", good).follow().expect(http.StatusOK)
		var list struct {
			Items []struct {
				ID, Name, Status string
				Allowances       struct{ DataBytes *int64 }
			}
		}
		w.Get(w.P("/plans")).Expect(http.StatusOK).Decode(&list)
		if len(list.Items) != plans+1 || list.Items[0].Name != "Unlimited" || list.Items[0].Allowances.DataBytes != nil || list.Items[0].Status != "available" {
			t.Fatalf("plans after the form: %+v", list.Items)
		}
		plan := list.Items[0].ID
		if !strings.Contains(p.body, plan) {
			t.Fatalf("catalog page without the new plan")
		}
		b.post("/console/p/acme/catalog/addons", url.Values{"name": {"5 GB"}, "plan": {plan}, "price": {"900"}, "dataMB": {"5000"}, "voiceMinutes": {"0"}, "sms": {"0"}, "validityDays": {"30"}}).
			follow().expect(http.StatusOK)
		var addons struct {
			Items []struct {
				ID         string
				Allowances struct{ DataBytes *int64 }
				Validity   struct{ Value int }
			}
		}
		w.Get(w.P("/addons?plan=" + plan)).Expect(http.StatusOK).Decode(&addons)
		if len(addons.Items) != 1 || addons.Items[0].Allowances.DataBytes == nil || *addons.Items[0].Allowances.DataBytes != 5_000_000_000 || addons.Items[0].Validity.Value != 30 {
			t.Fatalf("add-ons of the new plan: %+v", addons.Items)
		}
		b.post("/console/p/acme/catalog/plans/"+plan+"/archive", nil).follow().expect(http.StatusOK)
		b.post("/console/p/acme/catalog/addons/"+addons.Items[0].ID+"/archive", nil).follow().expect(http.StatusOK)
		var got struct{ Status string }
		w.Get(w.P("/plans/" + plan)).Expect(http.StatusOK).Decode(&got)
		if got.Status != "archived" {
			t.Errorf("plan status %s after archive", got.Status)
		}
		w.Get(w.P("/addons/" + addons.Items[0].ID)).Expect(http.StatusOK).Decode(&got)
		if got.Status != "archived" {
			t.Errorf("add-on status %s after archive", got.Status)
		}
	})
}

// TestUserPageShowsBalanceMethodsAndDevices: the user page shows the
// card, the credit a refund to the balance left and the user's devices.
func TestUserPageShowsBalanceMethodsAndDevices(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Support)
		var note struct{ Total struct{ Amount int64 } }
		w.Post(w.P("/creditNotes"), map[string]any{"invoice": w.ids["invoice"], "creditTo": "userBalance"}).Expect(http.StatusCreated).Decode(&note)
		w.Post(w.P("/devices"), map[string]any{"name": "Elaine's phone", "user": w.ids["user"]}).Expect(http.StatusCreated)
		p := b.get("/console/p/acme/users/" + w.ids["user"]).expect(http.StatusOK)
		for _, want := range []string{"4242", usd(note.Total.Amount), "Elaine&#39;s phone"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("user page without %q: %s", want, p.body)
			}
		}
	})
}

// usd is how the console shows an amount of cents.
func usd(cents int64) string { return fmt.Sprintf("%d.%02d USD", cents/100, cents%100) }
