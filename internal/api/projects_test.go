package api_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestProjectVisibleOnlyToItsKey: a key reads its own project and lists
// only it; another project is notFound, whether it exists or not.
func TestProjectVisibleOnlyToItsKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		keyB := e.NewProject("vandelay", projects.TypeLive)
		p := e.Get("/projects/acme").Expect(http.StatusOK).JSON()
		for k, want := range map[string]any{"object": "project", "id": "acme", "name": "acme", "type": "test",
			"billing": nil, "support": nil, "locales": []any{"en-US"}} {
			if !reflect.DeepEqual(p[k], want) {
				t.Errorf("%s = %v, want %v", k, p[k], want)
			}
		}
		if ids := fxIDs(fxItems(t, e.Get("/projects"))); !reflect.DeepEqual(ids, []string{"acme"}) {
			t.Errorf("acme's key lists %v", ids)
		}
		asB := func(method, path string, body any) *apitest.Response {
			return e.Do(apitest.Request{Method: method, Path: path, Key: keyB, Body: body})
		}
		if ids := fxIDs(fxItems(t, asB(http.MethodGet, "/projects", nil))); !reflect.DeepEqual(ids, []string{"vandelay"}) {
			t.Errorf("vandelay's key lists %v", ids)
		}
		if got := asB(http.MethodGet, "/projects/vandelay", nil).Expect(http.StatusOK).JSON()["type"]; got != "live" {
			t.Errorf("vandelay type = %v", got)
		}
		asB(http.MethodGet, "/projects/acme", nil).ExpectError(http.StatusNotFound, "notFound", "projectNotFound")
		asB(http.MethodPatch, "/projects/acme", `{"name":"Hijacked"}`).ExpectError(http.StatusNotFound, "notFound", "projectNotFound")
		e.Get("/projects/nonexistent").ExpectError(http.StatusNotFound, "notFound", "projectNotFound")
		fxSameJSON(t, "acme after B's PATCH", e.Get("/projects/acme").Expect(http.StatusOK).Body, p)
	})
}

// TestProjectUpdateNameLocalesSupport: name, locales and support contacts
// change by PATCH; null clears a contact; every value is checked.
func TestProjectUpdateNameLocalesSupport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		for _, s := range []struct {
			body string
			want map[string]any
		}{
			{`{"name":"Acme Mobile"}`, map[string]any{"name": "Acme Mobile"}},
			{`{"locales":["de-DE","en-US","fr"]}`, map[string]any{"locales": []string{"de-DE", "en-US", "fr"}, "name": "Acme Mobile"}},
			{`{"support":{"email":"help@acme.example"}}`, map[string]any{"support": map[string]any{"email": "help@acme.example", "phone": nil}}},
			{`{"support":{"phone":"+14155550100"}}`, map[string]any{"support": map[string]any{"email": "help@acme.example", "phone": "+14155550100"}}},
			{`{"support":{"email":null}}`, map[string]any{"support": map[string]any{"email": nil, "phone": "+14155550100"}}},
			{`{"support":{"email":"care@acme.example","phone":"+442071234567"}}`, map[string]any{"support": map[string]any{"email": "care@acme.example", "phone": "+442071234567"}}},
			{`{"support":null}`, map[string]any{"support": nil}},
			{`{}`, map[string]any{"name": "Acme Mobile", "support": nil, "locales": []string{"de-DE", "en-US", "fr"}}},
		} {
			got := e.Patch("/projects/acme", s.body).Expect(http.StatusOK).JSON()
			for k, want := range s.want {
				fxSameJSON(t, s.body+" "+k, got[k], want)
			}
			fxSameJSON(t, "GET after "+s.body, e.Get("/projects/acme").Expect(http.StatusOK).Body, got)
		}
		before := e.Get("/projects/acme").Expect(http.StatusOK).Body
		for _, c := range []struct{ body, code string }{
			{`{"name":""}`, "fieldRequired"},
			{`{"name":null}`, "fieldNotNullable"},
			{`{"name":"` + strings.Repeat("n", 101) + `"}`, "fieldTooLong"},
			{`{"locales":[]}`, "localesInvalid"},
			{`{"locales":null}`, "fieldNotNullable"},
			{`{"locales":["en-US","en-US"]}`, "localesInvalid"},
			{`{"locales":["english"]}`, "localeInvalid"},
			{`{"support":{"email":"help"}}`, "emailInvalid"},
			{`{"support":{"phone":"4155550100"}}`, "phoneNumberInvalid"},
			{`{"support":{"phone":"+1 415 555 0100"}}`, "phoneNumberInvalid"},
			{`{"support":{"phone":"+04155550100"}}`, "phoneNumberInvalid"},
			{`{"support":{"fax":"+14155550100"}}`, "unknownField"},
			{`{"type":"live"}`, "unknownField"},
			{`{"id":"other"}`, "unknownField"},
		} {
			fxInvalid(t, c.body, e.Patch("/projects/acme", c.body), c.code)
		}
		fxSameJSON(t, "project after rejected updates", e.Get("/projects/acme").Expect(http.StatusOK).Body, before)
	})
}

// TestProjectBillingSettings: billing null turns the Billing API off, an
// object turns it on from the defaults or changes only the given settings.
func TestProjectBillingSettings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		defaults := map[string]any{"currency": "USD", "advanceInvoicingDays": 0, "invoiceOverdueDays": 3,
			"invoiceOverdueAction": "end", "paymentBehavior": "manual", "taxBehavior": "exclusive", "recoveryFeePercentage": 0, "prorationBehavior": "none"}
		with := func(kv ...any) map[string]any {
			out := map[string]any{}
			for k, v := range defaults {
				out[k] = v
			}
			for i := 0; i+1 < len(kv); i += 2 {
				out[kv[i].(string)] = kv[i+1]
			}
			return out
		}
		for _, s := range []struct {
			body string
			want any
		}{
			{`{"billing":null}`, nil},
			{`{"billing":{}}`, defaults},
			{`{"billing":{"currency":"EUR"}}`, with("currency", "EUR")},
			{`{"billing":{"advanceInvoicingDays":7,"invoiceOverdueDays":0}}`, with("currency", "EUR", "advanceInvoicingDays", 7, "invoiceOverdueDays", 0)},
			{`{"billing":{"invoiceOverdueAction":"restrict","paymentBehavior":"automatic","taxBehavior":"inclusive","recoveryFeePercentage":2.5}}`,
				with("currency", "EUR", "advanceInvoicingDays", 7, "invoiceOverdueDays", 0, "invoiceOverdueAction", "restrict",
					"paymentBehavior", "automatic", "taxBehavior", "inclusive", "recoveryFeePercentage", 2.5)},
			{`{"billing":{"invoiceOverdueAction":"none","advanceInvoicingDays":28,"invoiceOverdueDays":28}}`,
				with("currency", "EUR", "advanceInvoicingDays", 28, "invoiceOverdueDays", 28, "invoiceOverdueAction", "none",
					"paymentBehavior", "automatic", "taxBehavior", "inclusive", "recoveryFeePercentage", 2.5)},
			{`{"billing":null}`, nil},
			// Turning it on again starts from the defaults, not the old settings.
			{`{"billing":{"paymentBehavior":"automatic"}}`, with("paymentBehavior", "automatic")},
		} {
			got := e.Patch("/projects/acme", s.body).Expect(http.StatusOK).JSON()
			fxSameJSON(t, s.body, got["billing"], s.want)
			fxSameJSON(t, "GET after "+s.body, e.Get("/projects/acme").Expect(http.StatusOK).Body, got)
		}
		// Percentages with two decimals are accepted exactly.
		for _, pct := range []float64{0, 0.29, 1.1, 4.35, 9.99, 33.33, 100} {
			got := e.Patch("/projects/acme", map[string]any{"billing": map[string]any{"recoveryFeePercentage": pct}})
			if got.Status != http.StatusOK {
				t.Errorf("recoveryFeePercentage %v rejected: %s", pct, got.Body)
				continue
			}
			fxSameJSON(t, "recoveryFeePercentage", got.JSON()["billing"].(map[string]any)["recoveryFeePercentage"], pct)
		}

		before := e.Get("/projects/acme").Expect(http.StatusOK).Body
		for _, c := range []struct{ billing, code string }{
			{`{"currency":"usd"}`, "currencyInvalid"},
			{`{"currency":"XYZ"}`, "currencyInvalid"},
			{`{"currency":null}`, "fieldNotNullable"},
			{`{"advanceInvoicingDays":-1}`, "billingInvalid"},
			{`{"advanceInvoicingDays":29}`, "billingInvalid"},
			{`{"advanceInvoicingDays":1.5}`, "fieldTypeInvalid"},
			{`{"invoiceOverdueDays":-1}`, "billingInvalid"},
			{`{"invoiceOverdueDays":null}`, "fieldNotNullable"},
			{`{"invoiceOverdueAction":"cancel"}`, "invalidEnumValue"},
			{`{"invoiceOverdueAction":"End"}`, "invalidEnumValue"},
			{`{"paymentBehavior":"auto"}`, "invalidEnumValue"},
			{`{"taxBehavior":"included"}`, "invalidEnumValue"},
			{`{"prorationBehavior":"prorate"}`, "invalidEnumValue"},
			{`{"prorationBehavior":null}`, "fieldNotNullable"},
			{`{"recoveryFeePercentage":-0.5}`, "billingInvalid"},
			{`{"recoveryFeePercentage":100.01}`, "billingInvalid"},
			{`{"recoveryFeePercentage":1.234}`, "billingInvalid"},
			{`{"gracePeriodDays":3}`, "unknownField"},
		} {
			fxInvalid(t, c.billing, e.Patch("/projects/acme", `{"billing":`+c.billing+`}`), c.code)
		}
		fxSameJSON(t, "project after rejected billing", e.Get("/projects/acme").Expect(http.StatusOK).Body, before)
	})
}

// TestProjectUpdatedEventHoldsChangedFields: project.updated carries the
// new project and, in previousData, only the top-level fields that changed
// (a nested object whole).
func TestProjectUpdatedEventHoldsChangedFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		p := e.Patch("/projects/acme", `{"name":"Acme Mobile","locales":["en-US"]}`).Expect(http.StatusOK).JSON()
		evs := fxEvents(t, e, "type=project.updated")
		if len(evs) != 1 {
			t.Fatalf("%d project.updated events, want 1", len(evs))
		}
		fxSameJSON(t, "data", evs[0]["data"], p)
		fxSameJSON(t, "previousData", evs[0]["previousData"], map[string]any{"name": "acme"})
		if evs[0]["project"] != "acme" {
			t.Errorf("envelope: %v", evs[0])
		}

		e.Patch("/projects/acme", `{"billing":{}}`).Expect(http.StatusOK)
		p = e.Patch("/projects/acme", `{"billing":{"currency":"EUR"},"support":{"phone":"+14155550100"}}`).Expect(http.StatusOK).JSON()
		evs = fxEvents(t, e, "type=project.updated")
		if len(evs) != 3 {
			t.Fatalf("%d project.updated events, want 3", len(evs))
		}
		fxSameJSON(t, "data", evs[0]["data"], p)
		fxSameJSON(t, "previousData of a nested change", evs[0]["previousData"], map[string]any{
			"support": nil,
			"billing": map[string]any{"currency": "USD", "advanceInvoicingDays": 0, "invoiceOverdueDays": 3,
				"invoiceOverdueAction": "end", "paymentBehavior": "manual", "taxBehavior": "exclusive", "recoveryFeePercentage": 0, "prorationBehavior": "none"},
		})
		fxSameJSON(t, "previousData of billing on", evs[1]["previousData"], map[string]any{"billing": nil})

		// Setting what is already there records nothing.
		e.Patch("/projects/acme", `{"name":"Acme Mobile","billing":{"currency":"EUR"},"locales":["en-US"]}`).Expect(http.StatusOK)
		e.Patch("/projects/acme", `{}`).Expect(http.StatusOK)
		if n := len(fxEvents(t, e, "type=project.updated")); n != 3 {
			t.Errorf("no-op PATCHes recorded events: %d, want 3", n)
		}
		// The project is the resource of its events.
		if got, want := fxIDs(fxEvents(t, e, "resource=acme")), fxIDs(evs); !reflect.DeepEqual(got, want) {
			t.Errorf("resource=acme lists %v, want %v", got, want)
		}
	})
}
