package api_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// fxOmit, as a value in fxPlanBody, leaves the key out of the body.
type fxOmit struct{}

// fxPlanBody is a valid plan body changed by key/value pairs.
func fxPlanBody(kv ...any) map[string]any {
	b := map[string]any{
		"name": "Basic", "provider": "p1", "simTypes": []string{"eSIM"},
		"price":      map[string]any{"amount": 1000, "currency": "USD"},
		"allowances": map[string]any{"dataBytes": 1000000000, "voiceSeconds": 6000, "smsMessages": 100},
		"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if _, omit := kv[i+1].(fxOmit); omit {
			delete(b, kv[i].(string))
		} else {
			b[kv[i].(string)] = kv[i+1]
		}
	}
	return b
}

func fxPlan(t *testing.T, e *apitest.Env, kv ...any) map[string]any {
	t.Helper()
	return e.Post(e.P("/plans"), fxPlanBody(kv...)).Expect(http.StatusCreated).JSON()
}

func TestPlanCreateAndRetrieve(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		minimal := fxPlan(t, e)
		if id, _ := minimal["id"].(string); !strings.HasPrefix(id, "pln_") {
			t.Errorf("id = %v, want pln_ prefix", minimal["id"])
		}
		// Defaults: available, no requirements, one minimum period.
		for k, want := range map[string]any{
			"object": "plan", "status": "available", "description": nil, "image": nil, "limits": nil, "coverage": nil,
			"metadata":     map[string]any{},
			"requirements": map[string]any{"address": "none", "user.birthday": "none", "user.fullName": "none", "device": "none"},
			"validity":     map[string]any{"value": 1, "unit": "month", "type": "recurring", "minimumPeriods": 1},
		} {
			fxSameJSON(t, "default "+k, minimal[k], want)
		}

		full := fxPlanBody(
			"name", "Gigs Global", "description", "Works in most countries.", "image", "https://example.com/p.png",
			"provider", "p9", "simTypes", []string{"eSIM", "pSIM"},
			"price", map[string]any{"amount": 2500, "currency": "EUR"},
			"allowances", map[string]any{"dataBytes": nil, "voiceSeconds": 30000, "smsMessages": nil},
			"limits", map[string]any{"dataBytes": 50000000000, "bandwidthBitsPerSecond": nil,
				"throttling": map[string]any{"thresholdBytes": 40000000000, "bandwidthBitsPerSecond": 1000000}},
			"requirements", map[string]any{"address": "verified", "user.birthday": "present", "user.fullName": "present", "device": "present"},
			"validity", map[string]any{"value": 30, "unit": "day", "type": "recurring", "minimumPeriods": 3},
			"coverage", map[string]any{"id": "europe", "name": "Europe", "countries": []string{"DE", "FR"}},
			"status", "draft", "metadata", map[string]any{"sku": "GG-1"},
		)
		p := e.Post(e.P("/plans"), full).Expect(http.StatusCreated).JSON()
		for k, v := range full {
			want := v
			if k == "coverage" {
				want = map[string]any{"object": "coverage", "id": "europe", "name": "Europe", "countries": []string{"DE", "FR"}}
			}
			fxSameJSON(t, "created "+k, p[k], want)
		}
		fxSameJSON(t, "retrieved plan", e.Get(e.P("/plans/"+p["id"].(string))).Expect(http.StatusOK).Body, p)

		missing := e.P("/plans/pln_0000000000000000000000")
		e.Get(missing).ExpectError(http.StatusNotFound, "notFound", "planNotFound")
		e.Patch(missing, `{"name":"x"}`).ExpectError(http.StatusNotFound, "notFound", "planNotFound")
	})
}

// TestPlanListFilters: simType, status and provider filter alone and
// together; values outside the enums are rejected.
func TestPlanListFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		a := fxPlan(t, e, "simTypes", []string{"eSIM"}, "provider", "p1")["id"].(string)
		b := fxPlan(t, e, "simTypes", []string{"pSIM"}, "provider", "p1", "status", "draft")["id"].(string)
		c := fxPlan(t, e, "simTypes", []string{"pSIM", "eSIM"}, "provider", "p4")["id"].(string)
		d := fxPlan(t, e, "simTypes", []string{"eSIM"}, "provider", "p4", "status", "archived")["id"].(string)
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", []string{d, c, b, a}},
			{"simType=eSIM", []string{d, c, a}},
			{"simType=pSIM", []string{c, b}},
			{"status=available", []string{c, a}},
			{"status=draft", []string{b}},
			{"status=pending", []string{}},
			{"provider=p4", []string{d, c}},
			{"provider=p9", []string{}},
			{"simType=eSIM&status=available", []string{c, a}},
			{"simType=pSIM&provider=p1", []string{b}},
			{"simType=eSIM&status=archived&provider=p4", []string{d}},
			{"simType=eSIM&provider=p4&limit=1", []string{d}},
		} {
			if got := fxIDs(fxItems(t, e.Get(e.P("/plans?"+tc.query)))); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("?%s = %v, want %v", tc.query, got, tc.want)
			}
		}
		for _, bad := range []string{"simType=esim", "simType=both", "status=active", "status=Available", "provider=p2", "provider=P1"} {
			e.Get(e.P("/plans?"+bad)).ExpectError(http.StatusUnprocessableEntity, "invalid", "invalidEnumValue")
		}
		e.Get(e.P("/plans?simType=")).ExpectError(http.StatusUnprocessableEntity, "invalid", "emptyParameter")
		e.Get(e.P("/plans?type=eSIM")).ExpectError(http.StatusUnprocessableEntity, "invalid", "unknownParameter")
	})
}

// TestPlanUpdateFields: each field can be changed by PATCH; nested objects
// are replaced whole and nullable ones cleared with null.
func TestPlanUpdateFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		path := e.P("/plans/" + fxPlan(t, e, "metadata", map[string]any{"a": "1"})["id"].(string))
		for _, s := range []struct {
			field string
			value any
			want  any
		}{
			{"name", "Unlimited", "Unlimited"},
			{"description", "All you can eat.", "All you can eat."},
			{"description", nil, nil},
			{"image", "https://example.com/u.png", "https://example.com/u.png"},
			{"image", nil, nil},
			{"provider", "p4", "p4"},
			{"simTypes", []string{"pSIM", "eSIM"}, []string{"eSIM", "pSIM"}},
			{"price", map[string]any{"amount": 0, "currency": "GBP"}, map[string]any{"amount": 0, "currency": "GBP"}},
			{"allowances", map[string]any{"dataBytes": nil, "voiceSeconds": nil, "smsMessages": 5},
				map[string]any{"dataBytes": nil, "voiceSeconds": nil, "smsMessages": 5}},
			{"limits", map[string]any{"bandwidthBitsPerSecond": 5000000},
				map[string]any{"dataBytes": nil, "bandwidthBitsPerSecond": 5000000, "throttling": nil}},
			{"limits", nil, nil},
			{"requirements", map[string]any{"user.fullName": "verified"},
				map[string]any{"address": "none", "user.birthday": "none", "user.fullName": "verified", "device": "none"}},
			{"validity", map[string]any{"value": 7, "unit": "day", "type": "oneTime"},
				map[string]any{"value": 7, "unit": "day", "type": "oneTime", "minimumPeriods": 1}},
			{"coverage", map[string]any{"id": "us", "name": "United States", "countries": []string{"US"}},
				map[string]any{"object": "coverage", "id": "us", "name": "United States", "countries": []string{"US"}}},
			{"coverage", nil, nil},
			{"metadata", map[string]any{"a": nil, "b": "2"}, map[string]any{"b": "2"}},
		} {
			got := e.Patch(path, map[string]any{s.field: s.value}).Expect(http.StatusOK).JSON()
			fxSameJSON(t, "PATCH "+s.field, got[s.field], s.want)
			fxSameJSON(t, "GET after PATCH "+s.field, e.Get(path).Expect(http.StatusOK).Body, got)
		}
	})
}

// TestPlanInputValidated: every rule of a plan body is a 422 naming it, on
// create and on update, and a rejected update changes nothing.
func TestPlanInputValidated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		allow := func(d, v, s any) map[string]any {
			return map[string]any{"dataBytes": d, "voiceSeconds": v, "smsMessages": s}
		}
		validity := func(value any, unit, typ string, min any) map[string]any {
			m := map[string]any{"value": value, "unit": unit, "type": typ}
			if min != nil {
				m["minimumPeriods"] = min
			}
			return m
		}
		cases := []struct {
			name string
			kv   []any
			code string
		}{
			{"name missing", []any{"name", fxOmit{}}, "fieldRequired"},
			{"name blank", []any{"name", " "}, "fieldRequired"},
			{"name null", []any{"name", nil}, "fieldNotNullable"},
			{"provider unknown", []any{"provider", "p2"}, "providerInvalid"},
			{"simTypes empty", []any{"simTypes", []string{}}, "simTypesInvalid"},
			{"simTypes twice", []any{"simTypes", []string{"eSIM", "eSIM"}}, "simTypesInvalid"},
			{"simTypes wrong case", []any{"simTypes", []string{"esim"}}, "invalidEnumValue"},
			{"price currency lower case", []any{"price", map[string]any{"amount": 1, "currency": "usd"}}, "currencyInvalid"},
			{"price currency unknown", []any{"price", map[string]any{"amount": 1, "currency": "XYZ"}}, "currencyInvalid"},
			{"price negative", []any{"price", map[string]any{"amount": -1, "currency": "USD"}}, "priceInvalid"},
			{"price without amount", []any{"price", map[string]any{"currency": "USD"}}, "fieldRequired"},
			{"price not integer", []any{"price", map[string]any{"amount": 9.99, "currency": "USD"}}, "fieldTypeInvalid"},
			{"allowances missing", []any{"allowances", fxOmit{}}, "fieldRequired"},
			{"allowance key missing", []any{"allowances", map[string]any{"dataBytes": nil, "voiceSeconds": nil}}, "fieldRequired"},
			{"allowances empty", []any{"allowances", map[string]any{}}, "fieldRequired"},
			{"allowance negative", []any{"allowances", allow(-1, nil, nil)}, "valueOutOfRange"},
			{"allowance unknown key", []any{"allowances", map[string]any{"dataBytes": 1, "voiceSeconds": 1, "smsMessages": 1, "mms": 1}}, "unknownField"},
			{"requirement unknown value", []any{"requirements", map[string]any{"address": "required"}}, "invalidEnumValue"},
			{"device cannot be verified", []any{"requirements", map[string]any{"device": "verified"}}, "invalidEnumValue"},
			{"requirement null", []any{"requirements", map[string]any{"address": nil}}, "fieldNotNullable"},
			{"validity unit week", []any{"validity", validity(1, "week", "recurring", nil)}, "invalidEnumValue"},
			{"validity type unknown", []any{"validity", validity(1, "month", "once", nil)}, "invalidEnumValue"},
			{"validity zero", []any{"validity", validity(0, "month", "recurring", nil)}, "valueOutOfRange"},
			{"validity too many months", []any{"validity", validity(13, "month", "recurring", nil)}, "valueOutOfRange"},
			{"validity minimumPeriods zero", []any{"validity", validity(1, "month", "recurring", 0)}, "valueOutOfRange"},
			{"oneTime with minimumPeriods", []any{"validity", validity(1, "month", "oneTime", 2)}, "validityInvalid"},
			{"validity without unit", []any{"validity", map[string]any{"value": 1, "type": "recurring"}}, "fieldRequired"},
			{"limits negative", []any{"limits", map[string]any{"dataBytes": -5}}, "valueOutOfRange"},
			{"throttling zero", []any{"limits", map[string]any{"throttling": map[string]any{"thresholdBytes": 0, "bandwidthBitsPerSecond": 1}}}, "limitsInvalid"},
			{"coverage country unknown", []any{"coverage", map[string]any{"id": "eu", "name": "EU", "countries": []string{"EU"}}}, "coverageInvalid"},
			{"coverage without countries", []any{"coverage", map[string]any{"id": "eu", "name": "EU"}}, "coverageInvalid"},
			{"status unknown", []any{"status", "active"}, "invalidEnumValue"},
			{"image not a URL", []any{"image", "ftp://example.com/x"}, "imageInvalid"},
			{"metadata null", []any{"metadata", nil}, "fieldNotNullable"},
			{"unknown field", []any{"data", -1}, "unknownField"},
		}
		for _, c := range cases {
			fxInvalid(t, "create: "+c.name, e.Post(e.P("/plans"), fxPlanBody(c.kv...)), c.code)
		}
		if n := len(fxItems(t, e.Get(e.P("/plans")))); n != 0 {
			t.Fatalf("rejected requests created %d plans", n)
		}
		p := fxPlan(t, e)
		path := e.P("/plans/" + p["id"].(string))
		for _, c := range cases {
			if c.kv[1] == (fxOmit{}) {
				continue // leaving a field out of a PATCH is allowed
			}
			fxInvalid(t, "update: "+c.name, e.Patch(path, map[string]any{c.kv[0].(string): c.kv[1]}), c.code)
		}
		fxSameJSON(t, "plan after rejected updates", e.Get(path).Expect(http.StatusOK).Body, p)
	})
}

// TestPlanStatusTransitions: a plan that has been offered cannot go back to
// draft or pending; an archived plan can be offered again.
func TestPlanStatusTransitions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		allowed := map[string][]string{
			"draft":     {"draft", "pending", "available", "archived"},
			"pending":   {"draft", "pending", "available", "archived"},
			"available": {"available", "archived"},
			"archived":  {"archived", "available"},
		}
		for from, oks := range allowed {
			for _, to := range []string{"draft", "pending", "available", "archived"} {
				path := e.P("/plans/" + fxPlan(t, e, "status", from)["id"].(string))
				r := e.Patch(path, map[string]any{"status": to})
				if contains(oks, to) {
					if got := r.Expect(http.StatusOK).JSON()["status"]; got != to {
						t.Errorf("%s → %s: status %v", from, to, got)
					}
					continue
				}
				r.ExpectError(http.StatusUnprocessableEntity, "invalid", "planStatusTransitionInvalid")
				if got := e.Get(path).JSON()["status"]; got != from {
					t.Errorf("%s → %s rejected but status is now %v", from, to, got)
				}
			}
		}
	})
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// TestPlanInUseKeepsPriceAndValidity: while a subscription that has not
// ended uses a plan, its price, validity and provider are fixed; the rest
// can change, and archiving is the way out.
func TestPlanInUseKeepsPriceAndValidity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		plan := fxPlan(t, e)
		planID := plan["id"].(string)
		other := fxPlan(t, e)["id"].(string)
		userID := fxUser(t, e, "jerry@example.com")["id"].(string)
		// The subscription lifecycle does not exist yet: insert the row.
		fxExec(t, db, `INSERT INTO subscriptions (id, project_id, plan_id, user_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			"sub_0000000000000000000001", e.Project, planID, userID, "active", int64(0))

		path := e.P("/plans/" + planID)
		for _, body := range []map[string]any{
			{"price": map[string]any{"amount": 1200, "currency": "USD"}},
			{"price": map[string]any{"amount": 1000, "currency": "EUR"}},
			{"validity": map[string]any{"value": 2, "unit": "month", "type": "recurring"}},
			{"validity": map[string]any{"value": 1, "unit": "month", "type": "recurring", "minimumPeriods": 12}},
			{"provider": "p4"},
			{"name": "Renamed", "price": map[string]any{"amount": 1, "currency": "USD"}},
		} {
			m := e.Patch(path, body).ExpectError(http.StatusConflict, "conflict", "planInUse")
			if h, _ := m["hint"].(string); !strings.Contains(h, "archived") {
				t.Errorf("planInUse hint = %q, want advice to archive", h)
			}
		}
		fxSameJSON(t, "plan after refused changes", e.Get(path).Expect(http.StatusOK).Body, plan)
		if n := len(fxEvents(t, e, "type=plan.updated&resource="+planID)); n != 0 {
			t.Errorf("refused changes recorded %d plan.updated events", n)
		}

		// Giving the same terms again is not a change.
		e.Patch(path, map[string]any{"price": map[string]any{"amount": 1000, "currency": "USD"}}).Expect(http.StatusOK)
		if p := e.Patch(path, `{"name":"Basic 2024","description":"Closed to new customers."}`).Expect(http.StatusOK).JSON(); p["name"] != "Basic 2024" {
			t.Errorf("name not changed: %v", p["name"])
		}
		if p := e.Patch(path, `{"status":"archived"}`).Expect(http.StatusOK).JSON(); p["status"] != "archived" {
			t.Errorf("status = %v, want archived", p["status"])
		}
		// Another plan is not affected by this subscription.
		e.Patch(e.P("/plans/"+other), `{"price":{"amount":1500,"currency":"USD"}}`).Expect(http.StatusOK)

		fxExec(t, db, `UPDATE subscriptions SET status = 'ended' WHERE plan_id = ?`, planID)
		p := e.Patch(path, `{"price":{"amount":1200,"currency":"USD"},"validity":{"value":2,"unit":"month","type":"recurring"}}`).
			Expect(http.StatusOK).JSON()
		fxSameJSON(t, "price once the subscription ended", p["price"], map[string]any{"amount": 1200, "currency": "USD"})
	})
}
