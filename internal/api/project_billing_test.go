package api_test

import (
	"net/http"
	"testing"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// projectUpdates counts the com.gigs.project.updated events of the world's
// project.
func (w *world) projectUpdates() int {
	w.t.Helper()
	n := 0
	for _, e := range w.eventsOf(w.Project) {
		if e.Type == "com.gigs.project.updated" {
			n++
		}
	}
	return n
}

// setBilled fixes whether a subscription is billed, for scenarios that need
// one kind whatever the project's settings were when it was created.
func (w *world) setBilled(db *store.DB, sub string, billed bool) {
	w.t.Helper()
	fxExec(w.t, db, `UPDATE subscriptions SET billed = ? WHERE id = ?`, billed, sub)
}

// TestBillingTaxCountryOnProject: "New project field taxCountry (top
// level, not in billing): ISO alpha-2, nullable, default null, settable
// with PATCH /projects/{p}" (docs/billing.md §1).
func TestBillingTaxCountryOnProject(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		path := w.P("")
		if got := w.Get(path).Expect(http.StatusOK).JSON()["taxCountry"]; got != nil {
			t.Fatalf("new project taxCountry = %v, want null", got)
		}
		for _, s := range []struct {
			body string
			want any
		}{
			{`{"taxCountry":"US"}`, "US"},
			{`{"taxCountry":"DE"}`, "DE"},
			{`{"name":"Acme"}`, "DE"}, // left out keeps it
			{`{"taxCountry":null}`, nil},
			{`{"taxCountry":"GB"}`, "GB"},
		} {
			got := w.Patch(path, s.body).Expect(http.StatusOK).JSON()
			fxSameJSON(t, s.body, got["taxCountry"], s.want)
			fxSameJSON(t, "GET after "+s.body, w.Get(path).Expect(http.StatusOK).Body, got)
		}

		before, updates := w.Get(path).Expect(http.StatusOK).Body, w.projectUpdates()
		for _, body := range []string{
			`{"taxCountry":"de"}`, `{"taxCountry":"DEU"}`, `{"taxCountry":"XX"}`, `{"taxCountry":""}`,
			`{"name":"Renamed","taxCountry":"UK"}`,
		} {
			fxInvalid(t, body, w.Patch(path, body), "taxCountryInvalid")
		}
		fxSameJSON(t, "project after rejected taxCountry", w.Get(path).Expect(http.StatusOK).Body, before)
		if got := w.projectUpdates(); got != updates {
			t.Errorf("project.updated events = %d after rejected requests, want %d", got, updates)
		}
	})
}

// TestBillingInUseCannotBeTurnedOff: "PATCH /projects with billing: null,
// or with a different currency, while the project has a billed
// subscription that has not ended → 409 billingInUse"; "Other setting
// changes apply from the next decision that reads them" (docs/billing.md §1).
func TestBillingInUseCannotBeTurnedOff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD"})
		path := w.P("")
		plan := w.plan(nil)
		currency := func() any {
			return w.Get(path).Expect(http.StatusOK).JSON()["billing"].(map[string]any)["currency"]
		}

		// Only unbilled subscriptions: every change is allowed.
		unbilled := w.subscribe(plan, w.user(nil), "auto", nil)
		w.setBilled(db, unbilled.ID, false)
		for _, body := range []string{
			`{"billing":{"currency":"EUR"}}`, `{"billing":null}`, `{"billing":{"currency":"USD"}}`,
		} {
			w.Patch(path, body).Expect(http.StatusOK)
		}

		// A billed subscription that has not ended: Billing off and a new
		// currency are refused, the whole request with them.
		billed := w.subscribe(plan, w.user(nil), "auto", nil)
		w.setBilled(db, billed.ID, true)
		before, updates := w.Get(path).Expect(http.StatusOK).Body, w.projectUpdates()
		for _, body := range []string{
			`{"billing":null}`,
			`{"billing":{"currency":"EUR"}}`,
			`{"billing":{"currency":"EUR","invoiceOverdueDays":10}}`,
			`{"name":"Renamed","taxCountry":"DE","billing":null}`,
		} {
			e := w.Patch(path, body).ExpectError(http.StatusConflict, "conflict", "billingInUse")
			if hint, _ := e["hint"].(string); hint == "" {
				t.Errorf("%s: billingInUse without a hint: %v", body, e)
			}
		}
		fxSameJSON(t, "project after refused updates", w.Get(path).Expect(http.StatusOK).Body, before)
		if got := w.projectUpdates(); got != updates {
			t.Errorf("project.updated events = %d after refused requests, want %d", got, updates)
		}

		// Other settings, and the same currency, still change.
		for _, body := range []string{
			`{"billing":{"invoiceOverdueDays":10,"invoiceOverdueAction":"restrict"}}`,
			`{"billing":{"currency":"USD","advanceInvoicingDays":5}}`,
			`{"name":"Acme Billing","taxCountry":"US"}`,
		} {
			w.Patch(path, body).Expect(http.StatusOK)
		}
		if got := w.projectUpdates(); got != updates+3 {
			t.Errorf("project.updated events = %d after allowed updates, want %d", got, updates+3)
		}

		// Once the billed subscription has ended, both are allowed again.
		if s := w.endNow(billed.ID); s.Status != "ended" {
			t.Fatalf("ended subscription is %s", s.Status)
		}
		w.Patch(path, `{"billing":{"currency":"EUR"}}`).Expect(http.StatusOK)
		if got := currency(); got != "EUR" {
			t.Fatalf("currency = %v after the billed subscription ended, want EUR", got)
		}
		if got := w.Patch(path, `{"billing":null}`).Expect(http.StatusOK).JSON()["billing"]; got != nil {
			t.Fatalf("billing = %v, want null", got)
		}
	})
}
