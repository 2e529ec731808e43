package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/webhooks"
)

// writeWorld is a billed test project holding one of every resource a
// write route names in its path, and the ids to fill the path with.
type writeWorld struct {
	*world
	params map[string]string // path parameter → an id that exists
}

func newWriteWorld(t *testing.T, db *store.DB) *writeWorld {
	t.Helper()
	ww := seedWriteWorld(&world{Env: hookEnv(t, db, webhooks.Config{Schedule: []time.Duration{0}}, true), t: t})
	// A failed delivery: one attempt (Schedule {0}) against a receiver
	// that always fails, then the worker leaves it alone.
	rcv := newReceiver(t, status(http.StatusInternalServerError))
	ep, _ := createEndpoint(t, ww.Env, map[string]any{"url": rcv.URL, "enabledEvents": []string{"user.created"}})
	ww.user(nil)
	waitFor(t, "a failed delivery", func() bool {
		ds := deliveries(t, ww.Env, ep)
		if len(ds) == 1 && ds[0].Status == "failed" {
			ww.params["endpoint"], ww.params["delivery"] = ep, ds[0].ID
		}
		return ww.params["delivery"] != ""
	})
	return ww
}

// seedWriteWorld makes w a billed project with a user, an address, a
// plan, a subscription, its paid invoice and a credit note; endpoint and
// delivery are left to the caller.
func seedWriteWorld(w *world) *writeWorld {
	w.t.Helper()
	w.advanceTo(worldStart)
	w.Patch(w.P(""), map[string]any{"billing": map[string]any{"currency": "USD"}}).Expect(http.StatusOK)
	user := w.user(nil)
	addr := w.address(user)
	plan := w.plan(nil)
	s := w.subscribe(plan, user, "auto", map[string]any{"userAddress": addr})
	inv := w.firstInvoice(s.ID)
	w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
	note := w.credit(map[string]any{"invoice": inv.ID, "lineItems": []any{map[string]any{"invoiceLineItem": inv.LineItems[0].ID, "amount": 1}}})
	w.advance(3 * time.Minute) // the subscription activates: changes and add-ons need an active one
	ch := w.changeOK(map[string]any{"subscription": s.ID, "plan": w.planWith(2_000_000_000, 1000, nil), "when": "renewal"})
	addon := w.addonOK(plan, nil)
	bought := w.buyAddon(s.ID, addon.ID)
	// A payment: the project collects automatically through the simulator
	// from here on, and a second subscription's first invoice is charged.
	w.Patch(w.P(""), map[string]any{"billing": map[string]any{"paymentBehavior": "automatic"}}).Expect(http.StatusOK)
	w.Patch(w.P("/paymentSettings"), map[string]any{"provider": "simulator"}).Expect(http.StatusOK)
	method := w.card(user, "4242424242424242")
	paid := w.firstInvoice(w.subscribe(plan, user, "auto", nil).ID)
	var quote struct{ ID string }
	w.Post(w.P("/quotes"), map[string]any{"plan": plan, "user": user}).Expect(http.StatusCreated).Decode(&quote)
	payment, voucher := w.paymentOf(paid.ID).ID, w.voucher("WELCOME", nil)
	// A port-out waiting for the user's consent, with its request; then
	// consent is off again for the other routes.
	w.requireConsent()
	portOut := w.Post(w.P("/portOuts"), map[string]any{"subscription": s.ID}).Expect(http.StatusCreated).ID()
	w.Patch(w.P(""), map[string]any{"consent": nil}).Expect(http.StatusOK)
	var consents struct{ Items []struct{ ID string } }
	w.Get(w.P("/consentRequests?subject=" + portOut)).Expect(http.StatusOK).Decode(&consents)
	snapshot := w.Post("/testing/projects/"+w.Project+"/snapshots", map[string]any{"name": "seeded"}).Expect(http.StatusCreated).ID()
	return &writeWorld{world: w, params: map[string]string{
		"snapshot": snapshot, "subscriptionChange": ch.ID, "addon": addon.ID, "subscriptionAddon": bought.ID,
		"paymentMethod": method, "payment": payment, "quote": quote.ID, "voucher": voucher,
		"project": w.Project, "user": user, "address": addr, "plan": plan, "subscription": s.ID,
		"invoice": inv.ID, "creditNote": note.ID, "provider": "test", "sim": w.Post(w.P("/sims"), map[string]any{"iccid": "89012600000000000033", "provider": "test"}).Expect(http.StatusCreated).ID(), "event": lastEvent(w),
		"apiKey":  w.Post(w.P("/apiKeys"), map[string]any{"name": "spare"}).Expect(http.StatusCreated).ID(),
		"porting": w.draft(user, "+12015550170").ID,
		"portOut": portOut, "consentRequest": consents.Items[0].ID,
		"device": w.Post(w.P("/devices"), map[string]any{"imei": "490154203237518", "user": user}).Expect(http.StatusCreated).ID(),
		"connectSession": w.Post(w.P("/connectSessions"), map[string]any{"user": user, "intent": map[string]any{"type": "viewSubscriptions"}}).
			Expect(http.StatusCreated).ID(),
	}}
}

// path fills a route pattern's parameters with the world's ids.
func (ww *writeWorld) path(t testing.TB, pattern string) string {
	t.Helper()
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			id, known := ww.params[name]
			if !known {
				t.Fatalf("%s: no id for {%s}: add one to newWriteWorld", pattern, name)
			}
			parts[i] = id
		}
	}
	return strings.Join(parts, "/")
}

// lastEvent is the id of the project's newest event.
func lastEvent(w *world) string {
	var page struct{ Items []struct{ ID string } }
	w.Get(w.P("/events?limit=1")).Expect(http.StatusOK).Decode(&page)
	if len(page.Items) != 1 {
		w.t.Fatalf("no event")
	}
	return page.Items[0].ID
}

// apiRoutes lists every route of the router.
func apiRoutes(db *store.DB) []string { return api.New(api.Config{DB: db}).Routes() }

// writeRoutes lists every POST, PATCH and DELETE route of the router.
func writeRoutes(db *store.DB) []string {
	var out []string
	for _, r := range apiRoutes(db) {
		if m, _, _ := strings.Cut(r, " "); m == http.MethodPost || m == http.MethodPatch || m == http.MethodDelete {
			out = append(out, r)
		}
	}
	return out
}

// validWriteBodies is a body each write route would accept in a
// writeWorld, so that only the query string is wrong. A write route
// missing here fails the test: new routes join it.
func validWriteBodies(ww *writeWorld, receiver string) map[string]any {
	p := ww.params
	return map[string]any{
		"PATCH /projects/{project}":                                                        map[string]any{"billing": map[string]any{"recoveryFeePercentage": 1}},
		"POST /projects/{project}/users":                                                   map[string]any{"email": "new@example.com"},
		"POST /projects/{project}/users/search":                                            map[string]any{"email": "new@example.com"},
		"PATCH /projects/{project}/users/{user}":                                           map[string]any{"fullName": "Elaine Benes"},
		"DELETE /projects/{project}/users/{user}":                                          nil,
		"POST /projects/{project}/users/{user}/addresses":                                  fxAddressBody(2),
		"DELETE /projects/{project}/users/{user}/addresses/{address}":                      nil,
		"POST /projects/{project}/plans":                                                   minimalPlan("Other"),
		"PATCH /projects/{project}/plans/{plan}":                                           map[string]any{"name": "Renamed"},
		"POST /projects/{project}/subscriptions":                                           map[string]any{"plan": p["plan"], "user": p["user"], "sim": "auto"},
		"PATCH /projects/{project}/subscriptions/{subscription}":                           map[string]any{"metadata": map[string]any{"k": "v"}},
		"POST /projects/{project}/subscriptions/{subscription}/cancel":                     map[string]any{},
		"POST /projects/{project}/subscriptions/{subscription}/resume":                     nil,
		"POST /projects/{project}/subscriptions/{subscription}/end":                        map[string]any{},
		"POST /projects/{project}/sims":                                                    map[string]any{"iccid": "89012600000000000017", "provider": "test"},
		"POST /testing/projects/{project}/clock/advance":                                   map[string]any{"by": "1h"},
		"POST /projects/{project}/quotes":                                                  map[string]any{"plan": p["plan"], "user": p["user"]},
		"POST /projects/{project}/invoices/{invoice}/pay":                                  nil,
		"POST /projects/{project}/invoices/{invoice}/void":                                 nil,
		"POST /projects/{project}/creditNotes":                                             map[string]any{"invoice": p["invoice"]},
		"POST /projects/{project}/creditNotes/{creditNote}/void":                           nil,
		"POST /projects/{project}/webhookEndpoints":                                        map[string]any{"url": receiver},
		"PATCH /projects/{project}/webhookEndpoints/{endpoint}":                            map[string]any{"description": "ops"},
		"DELETE /projects/{project}/webhookEndpoints/{endpoint}":                           nil,
		"POST /projects/{project}/webhookEndpoints/{endpoint}/rotateSecret":                nil,
		"POST /projects/{project}/webhookEndpoints/{endpoint}/deliveries/{delivery}/retry": nil,
		"POST /projects/{project}/webhookEndpoints/{endpoint}/recover":                     map[string]any{"since": "2020-01-01T00:00:00Z"},
		"POST /projects/{project}/subscriptionChanges":                                     map[string]any{"subscription": p["subscription"], "sim": "auto", "when": "now"},
		"DELETE /projects/{project}/subscriptionChanges/{subscriptionChange}":              nil,
		"POST /projects/{project}/addons":                                                  addonBody(p["plan"], nil),
		"PATCH /projects/{project}/addons/{addon}":                                         map[string]any{"name": "Renamed"},
		"POST /projects/{project}/subscriptionAddons":                                      map[string]any{"subscription": p["subscription"], "addon": p["addon"]},
		"POST /projects/{project}/subscriptionAddons/{subscriptionAddon}/cancel":           nil,
		"POST /testing/providers/{provider}/faults":                                        map[string]any{"operation": "lines.activate", "count": 1, "code": "activationRejected"},
		"DELETE /testing/providers/{provider}/faults":                                      nil,
		"POST /testing/projects/{project}/snapshots":                                       map[string]any{"name": "before"},
		"POST /testing/projects/{project}/snapshots/{snapshot}/restore":                    nil,
		"POST /testing/projects/{project}/reset":                                           nil,
		"POST /projects/{project}/apiKeys":                                                 map[string]any{"name": "ci"},
		"POST /projects/{project}/apiKeys/{apiKey}/revoke":                                 nil,
		"POST /testing/projects/{project}/subscriptions/{subscription}/usage":              map[string]any{"data": 1000, "voice": 60, "sms": 1},
		"POST /testing/projects/{project}/subscriptions/{subscription}/trafficModel":       map[string]any{"model": "typical"},
		"PATCH /projects/{project}/paymentSettings":                                        map[string]any{"provider": "simulator"},
		"POST /projects/{project}/paymentMethods":                                          map[string]any{"user": p["user"], "token": "tok_sim_visa"},
		"DELETE /projects/{project}/paymentMethods/{paymentMethod}":                        nil,
		"POST /projects/{project}/payments/{payment}/refund":                               map[string]any{"amount": 1},
		"POST /testing/projects/{project}/paymentTokens":                                   map[string]any{"number": "4242424242424242"},
		"POST /testing/projects/{project}/paymentMethods/{paymentMethod}/confirm":          map[string]any{"clientSecret": "simpm_x_secret_y"},
		"POST /projects/{project}/vouchers":                                                map[string]any{"name": "Spring", "priceDiscountPercentage": 5, "recurrence": map[string]any{"type": "once"}},
		"POST /projects/{project}/vouchers/{voucher}/retire":                               nil,
		"POST /projects/{project}/vouchers/{voucher}/codes":                                map[string]any{"code": "SPRING"},
		"POST /projects/{project}/portings":                                                map[string]any{"phoneNumber": "+12015550171", "provider": "test", "user": p["user"]},
		"PATCH /projects/{project}/portings/{porting}":                                     map[string]any{"firstName": "Elaine"},
		"POST /projects/{project}/portings/{porting}/cancel":                               nil,
		"POST /projects/{project}/devices":                                                 map[string]any{"imei": "356938035643809", "name": "Phone"},
		"PATCH /projects/{project}/devices/{device}":                                       map[string]any{"name": "Renamed"},
		"POST /projects/{project}/portOuts":                                                map[string]any{"subscription": p["subscription"]},
		"POST /projects/{project}/consentRequests/{consentRequest}/cancel":                 nil,
		"POST /consentRequests/approve":                                                    map[string]any{"token": "csr_0000000000000000000000.x"},
		"POST /consentRequests/reject":                                                     map[string]any{"token": "csr_0000000000000000000000.x"},
		"POST /testing/projects/{project}/portOuts/{portOut}/complete":                     nil,
		"POST /projects/{project}/connectSessions":                                         map[string]any{"user": p["user"], "intent": map[string]any{"type": "viewSubscriptions"}},
		"POST /api/embeds/auth":                                                            map[string]any{"secret": "unknown"},
	}
}

// TestWriteRoutesCheckEverythingBeforeChanging sends every write route of
// the router a valid request with an unknown query parameter: each answers
// 422 unknownParameter and no table changes (the clock advance used to
// move the clock and then refuse).
func TestWriteRoutesCheckEverythingBeforeChanging(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ww := newWriteWorld(t, db)
		bodies := validWriteBodies(ww, "http://127.0.0.1:1/hook")
		before := takeSnapshot(t, db)
		for _, route := range writeRoutes(db) {
			if route == "POST /carriers/{provider}/callbacks" {
				continue // signed by a carrier, not called with a key: TestCarrierCallbacksCompleteOrFailActivations
			}
			if route == "POST /paymentProviders/stripe/webhooks/{project}" {
				continue // signed by Stripe, not called with a key: TestStripeWebhookVerifiesSignature
			}
			body, ok := bodies[route]
			if !ok {
				t.Errorf("%s: no valid body in validWriteBodies", route)
				continue
			}
			method, pattern, _ := strings.Cut(route, " ")
			r := mustRaw(t, ww.Env, method, ww.path(t, pattern)+"?x=1", rawBody(t, body), auth(ww.Key))
			checkError(t, route, r.Status, r.Header, r.Body, http.StatusUnprocessableEntity, "invalid", "unknownParameter", "x")
			after := takeSnapshot(t, db)
			if d := before.diff(after); len(d) > 0 {
				t.Errorf("%s?x=1 changed the database:\n  %s", route, strings.Join(d, "\n  "))
			}
			before = after
		}
	})
}

// rawBody encodes a body as JSON; nil sends no body.
func rawBody(t testing.TB, body any) []byte {
	if body == nil {
		return nil
	}
	return []byte(mustJSON(t, body))
}
