package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/webhooks"
)

// TestTextThatCannotBeStoredIsRefusedOnRead: NUL, lone surrogates and
// bytes that are not UTF-8 never reach the store (PostgreSQL answered
// 500), in a body field (422), a query string (400) or a path (404), also
// on the unauthenticated QR route; nothing changes.
func TestTextThatCannotBeStoredIsRefusedOnRead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		user := e.Post(e.P("/users"), map[string]any{"email": "text@example.com"}).Expect(http.StatusCreated).ID()
		users := e.P("/users")
		cases := []badCase{
			{"NUL in a field", "POST", users, `{"email":"a@example.com","fullName":"a\u0000b"}`, nil, 422, "invalid", "textInvalid", "fullName"},
			{"NUL in an email", "POST", users, `{"email":"a\u0000@example.com"}`, nil, 422, "invalid", "textInvalid", "email"},
			{"lone high surrogate", "POST", users, `{"email":"a@example.com","fullName":"\ud800"}`, nil, 422, "invalid", "textInvalid", "fullName"},
			{"high surrogate then text", "POST", users, `{"email":"a@example.com","fullName":"\ud800x"}`, nil, 422, "invalid", "textInvalid", "fullName"},
			{"lone low surrogate", "POST", users, `{"email":"a@example.com","fullName":"\udc00"}`, nil, 422, "invalid", "textInvalid", "fullName"},
			{"bytes that are not UTF-8", "POST", users, "{\"email\":\"a@example.com\",\"fullName\":\"\xff\xfe\"}", nil, 422, "invalid", "textInvalid", "fullName"},
			{"NUL in a metadata key", "PATCH", e.P("/users/" + user), `{"metadata":{"k\u0000":"v"}}`, nil, 422, "invalid", "textInvalid", "metadata"},
			{"NUL in a metadata value", "PATCH", e.P("/users/" + user), `{"metadata":{"k":"\u0000"}}`, nil, 422, "invalid", "textInvalid", "metadata.k"},
			{"NUL in an ICCID", "POST", e.P("/sims"), `{"iccid":"8901260000000000001\u0000","provider":"test"}`, nil, 422, "invalid", "textInvalid", "iccid"},
			{"NUL in a search", "POST", users + "/search", `{"email":"\u0000"}`, nil, 422, "invalid", "textInvalid", "email"},
			{"NUL in a query value", "GET", users + "?after=%00", "", nil, 400, "malformed", "queryInvalid", ""},
			{"NUL in a filter", "GET", e.P("/sims?iccid=89%00"), "", nil, 400, "malformed", "queryInvalid", ""},
			{"not UTF-8 in a query value", "GET", e.P("/plans?simType=%ff"), "", nil, 400, "malformed", "queryInvalid", ""},
			{"NUL in a query name", "GET", users + "?a%00=1", "", nil, 400, "malformed", "queryInvalid", ""},
			{"NUL on a write's query", "POST", users + "?x=%00", `{"email":"q@example.com"}`, nil, 400, "malformed", "queryInvalid", ""},
			{"NUL in an id", "GET", users + "/usr_%00", "", nil, 404, "notFound", "", ""},
			{"NUL in the project", "GET", "/projects/acme%00/users", "", nil, 404, "notFound", "", ""},
			{"not UTF-8 in a path", "PATCH", users + "/%ff", `{}`, nil, 404, "notFound", "", ""},
			{"NUL in a QR token", "GET", "/qr/abcdefghijklmnop%00qrstuvwxyz.png", "", map[string]string{"Authorization": ""}, 404, "notFound", "", ""},
		}
		before := takeSnapshot(t, db)
		for _, c := range cases {
			h := auth(e.Key)
			for k, v := range c.headers {
				if v == "" {
					delete(h, k)
				}
			}
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			r := mustRaw(t, e, c.method, c.path, body, h)
			checkError(t, c.name, r.Status, r.Header, r.Body, c.status, c.typ, c.code, c.field)
		}
		expectUnchanged(t, db, before, "text that cannot be stored")
		// A surrogate pair is one character, and is fine.
		e.Post(users, `{"email":"pair@example.com","fullName":"Jos\u00e9 \ud83d\ude00"}`).Expect(http.StatusCreated)
	})
}

// TestAmountsAreBoundedAndTotalsChecked: an amount above 10^12 minor units
// is refused where it enters (plan prices, credit notes); the largest
// accepted price can be quoted and subscribed to without a 500.
func TestAmountsAreBoundedAndTotalsChecked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := billedWorld(t, db, map[string]any{"currency": "USD", "recoveryFeePercentage": 3})
		before := takeSnapshot(t, db)
		for _, amount := range []int64{9223372036854775807, 1_000_000_000_001} {
			plan := minimalPlan("Huge")
			plan["price"] = map[string]any{"amount": amount, "currency": "USD"}
			r := w.Post(w.P("/plans"), plan)
			expectError(t, fmt.Sprintf("price %d", amount), r, 422, "invalid", "amountTooLarge", "price.amount")
		}
		expectUnchanged(t, db, before, "a price above the bound")
		plan := w.plan(map[string]any{"price": map[string]any{"amount": 1_000_000_000_000, "currency": "USD"}})
		r := w.Patch(w.P("/plans/"+plan), map[string]any{"price": map[string]any{"amount": 1_000_000_000_001, "currency": "USD"}})
		expectError(t, "PATCH price", r, 422, "invalid", "amountTooLarge", "price.amount")
		user := w.user(nil)
		addr := w.address(user)
		w.Post(w.P("/quotes"), map[string]any{"plan": plan, "user": user, "address": addr}).Expect(http.StatusCreated)
		s := w.subscribe(plan, user, "auto", map[string]any{"userAddress": addr})
		inv := w.firstInvoice(s.ID)
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		before = takeSnapshot(t, db)
		for _, amount := range []int64{9223372036854775807, 1_000_000_000_001} {
			r := w.Post(w.P("/creditNotes"), map[string]any{"invoice": inv.ID, "lineItems": []any{
				map[string]any{"invoiceLineItem": inv.LineItems[0].ID, "amount": amount}}})
			expectError(t, fmt.Sprintf("credit %d", amount), r, 422, "invalid", "amountTooLarge", "lineItems[0].amount")
		}
		expectUnchanged(t, db, before, "a credit above the bound")
	})
}

// TestWebhookActionsCheckPathThenBodyThenRules: rotateSecret refuses a body
// it cannot read, keeping the secret; retry answers 404 for a delivery
// that does not exist even on a disabled endpoint, and a bad body before
// the endpoint's state.
func TestWebhookActionsCheckPathThenBodyThenRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{Schedule: []time.Duration{0}}, true)
		rcv := newReceiver(t, status(http.StatusInternalServerError))
		ep, _ := createEndpoint(t, e, map[string]any{"url": rcv.URL})
		createUser(t, e, "hook@example.com")
		waitFor(t, "a failed delivery", func() bool { ds := deliveries(t, e, ep); return len(ds) == 1 && ds[0].Status == "failed" })
		d := deliveries(t, e, ep)[0].ID
		rotate := e.P("/webhookEndpoints/" + ep + "/rotateSecret")
		before := takeSnapshot(t, db)
		expectError(t, "rotate, broken JSON", e.Post(rotate, `{"x":`), 400, "malformed", "requestBodyInvalidJSON", "")
		expectError(t, "rotate, unknown field", e.Post(rotate, `{"x":1}`), 422, "invalid", "unknownField", "x")
		expectUnchanged(t, db, before, "rotateSecret with a bad body")
		e.Patch(e.P("/webhookEndpoints/"+ep), map[string]any{"status": "disabled"}).Expect(http.StatusOK)
		retry := func(id string) string { return e.P("/webhookEndpoints/" + ep + "/deliveries/" + id + "/retry") }
		before = takeSnapshot(t, db)
		expectError(t, "retry, no such delivery", e.Post(retry("msg_0000000000000000000000"), nil), 404, "notFound", "", "")
		expectError(t, "retry, broken JSON", e.Post(retry(d), `{"x":`), 400, "malformed", "requestBodyInvalidJSON", "")
		expectError(t, "retry, disabled endpoint", e.Post(retry(d), nil), 409, "conflict", "", "")
		expectUnchanged(t, db, before, "refused retries")
		// An action without a body still checks one it is sent.
		user := createUser(t, e, "gone@example.com")
		expectError(t, "DELETE with a body", e.Do(apitest.Request{Method: "DELETE", Path: e.P("/users/" + user), Body: `{"x":1}`}), 422, "invalid", "unknownField", "x")
	})
}

// TestProjectListValidatesPagination: GET /projects checks limit, after
// and before like every other list.
func TestProjectListValidatesPagination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		for q, code := range map[string]string{
			"limit=-1": "limitInvalid", "limit=abc": "limitInvalid", "limit=1e9": "limitInvalid", "limit=201": "limitInvalid",
			"after=x&before=y": "paginationInvalid", "after=a.b": "idInvalid", "before=%21": "idInvalid",
		} {
			expectError(t, q, e.Get("/projects?"+q), 422, "invalid", code, "")
		}
		e.Get("/projects?limit=200").Expect(http.StatusOK)
	})
}

// TestRepeatedAuthorizationIsRefused: two Authorization headers are a
// 400, even when both hold the same valid key, and change nothing.
func TestRepeatedAuthorizationIsRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		other := e.NewProject("globex", projects.TypeTest)
		before := takeSnapshot(t, db)
		for _, keys := range [][]string{{e.Key, other}, {other, e.Key}, {e.Key, e.Key}} {
			req, err := http.NewRequest("POST", e.Server.URL+e.P("/users"), strings.NewReader(`{"email":"two@example.com"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for _, k := range keys {
				req.Header.Add("Authorization", "Bearer "+k)
			}
			resp, err := e.Server.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			checkError(t, "two Authorization headers", resp.StatusCode, resp.Header, body, 400, "malformed", "authorizationRepeated", "Authorization")
		}
		expectUnchanged(t, db, before, "requests with two Authorization headers")
	})
}

// TestICCIDOfAnotherProjectIsAnsweredAsInvalid: a project that adds a card
// another project holds gets the very answer an invalid ICCID gets, so it
// learns nothing about the other project; its own duplicate is a 409, and
// the card never ends up in two projects.
func TestICCIDOfAnotherProjectIsAnsweredAsInvalid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		other := e.NewProject("globex", projects.TypeTest)
		const iccid = "89012600000000000017"
		e.Do(apitest.Request{Method: "POST", Path: "/projects/globex/sims", Key: other, Body: map[string]any{"iccid": iccid, "provider": "test"}}).
			Expect(http.StatusCreated)
		before := takeSnapshot(t, db)
		taken := e.Post(e.P("/sims"), map[string]any{"iccid": iccid, "provider": "test"})
		takenLower := e.Post(e.P("/sims"), map[string]any{"iccid": strings.ToLower(iccid), "provider": "test"})
		invalid := e.Post(e.P("/sims"), map[string]any{"iccid": "123", "provider": "test"})
		expectError(t, "another project's ICCID", taken, 422, "invalid", "invalidIccid", "")
		for _, r := range []*apitest.Response{takenLower, invalid} {
			if string(r.Body) != string(taken.Body) || r.Status != taken.Status {
				t.Errorf("answers differ: %d %s vs %d %s", r.Status, r.Body, taken.Status, taken.Body)
			}
		}
		if strings.Contains(string(taken.Body), "globex") || strings.Contains(string(taken.Body), iccid) {
			t.Errorf("the answer names the other project or the card: %s", taken.Body)
		}
		expectUnchanged(t, db, before, "adding another project's card")
		const own = "89012600000000000025"
		e.Post(e.P("/sims"), map[string]any{"iccid": own, "provider": "test"}).Expect(http.StatusCreated)
		e.Post(e.P("/sims"), map[string]any{"iccid": own, "provider": "test"}).ExpectError(http.StatusConflict, "conflict", "simAlreadyExists")
	})
}
