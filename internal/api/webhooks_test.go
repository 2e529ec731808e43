package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"cellgate/internal/optional"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/webhooks"
)

// TestWebhookEndpointLifecycle: create shows the secret once, get and list
// never do; PATCH changes what it names; rotate gives a new secret; bad
// input is refused; delete removes the endpoint.
func TestWebhookEndpointLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{}, true)
		for _, c := range []struct {
			name string
			body map[string]any
			code string
		}{
			{"no url", map[string]any{}, "urlRequired"},
			{"not http", map[string]any{"url": "ftp://example.com/x"}, "urlInvalid"},
			{"relative", map[string]any{"url": "/hooks"}, "urlInvalid"},
			{"unknown type", map[string]any{"url": "https://example.com/h", "enabledEvents": []string{"user.exploded"}}, "invalidEnumValue"},
			{"empty types", map[string]any{"url": "https://example.com/h", "enabledEvents": []string{}}, "enabledEventsEmpty"},
		} {
			t.Log(c.name)
			e.Post(e.P("/webhookEndpoints"), c.body).ExpectError(http.StatusUnprocessableEntity, "invalid", c.code)
		}
		m := e.Post(e.P("/webhookEndpoints"), map[string]any{"url": "https://example.com/h", "enabledEvents": []string{"user.created", "com.gigs.plan.created"}, "description": "ops"}).
			Expect(http.StatusCreated).JSON()
		id, secret := m["id"].(string), m["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") || m["status"] != "enabled" {
			t.Fatalf("create: %v", m)
		}
		if _, err := standardwebhooks.NewWebhook(secret); err != nil {
			t.Fatalf("secret %q is not a Standard Webhooks secret: %v", secret, err)
		}
		if got := m["enabledEvents"].([]any); len(got) != 2 || got[0] != "com.gigs.plan.created" {
			t.Errorf("enabledEvents = %v", got)
		}
		got := e.Get(e.P("/webhookEndpoints/" + id)).Expect(http.StatusOK).JSON()
		if _, ok := got["secret"]; ok {
			t.Errorf("get shows the secret")
		}
		var list struct{ Items []map[string]any }
		e.Get(e.P("/webhookEndpoints")).Expect(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0]["id"] != id || list.Items[0]["secret"] != nil {
			t.Errorf("list: %v", list.Items)
		}
		up := e.Patch(e.P("/webhookEndpoints/"+id), map[string]any{"status": "disabled", "description": nil, "enabledEvents": nil}).Expect(http.StatusOK).JSON()
		if up["status"] != "disabled" || up["description"] != nil || up["enabledEvents"] != nil {
			t.Errorf("patch: %v", up)
		}
		e.Patch(e.P("/webhookEndpoints/"+id), map[string]any{"status": "paused"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "invalidEnumValue")
		rot := e.Post(e.P("/webhookEndpoints/"+id+"/rotateSecret"), nil).Expect(http.StatusOK).JSON()
		if s, _ := rot["secret"].(string); !strings.HasPrefix(s, "whsec_") || s == secret {
			t.Errorf("rotate: %v", rot)
		}
		e.Delete(e.P("/webhookEndpoints/" + id)).Expect(http.StatusOK)
		e.Get(e.P("/webhookEndpoints/"+id)).ExpectError(http.StatusNotFound, "notFound", "")
	})
}

// TestWebhookFailingDeliveryIsRetriedSigned is the issue's first "done
// when": a delivery that fails is retried with the same webhook-id, every
// attempt verifies with the official Standard Webhooks library, the body
// is the event as GET /events shows it, and every attempt is recorded.
func TestWebhookFailingDeliveryIsRetriedSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{}, true)
		rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
			if n < 3 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		ep, secret := createEndpoint(t, e, map[string]any{"url": rcv.URL + "/hook"})
		user := createUser(t, e, "ada@example.com")
		waitFor(t, "three attempts", func() bool { return len(rcv.got()) >= 3 })
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		hits := rcv.got()
		for i, h := range hits {
			if err := wh.Verify(h.Body, h.Header); err != nil {
				t.Errorf("attempt %d does not verify: %v", i+1, err)
			}
			if h.Header.Get("webhook-id") != hits[0].Header.Get("webhook-id") {
				t.Errorf("attempt %d has webhook-id %q, first had %q", i+1, h.Header.Get("webhook-id"), hits[0].Header.Get("webhook-id"))
			}
			if !bytes.Equal(h.Body, hits[0].Body) {
				t.Errorf("attempt %d has another body", i+1)
			}
		}
		evID, _ := jsonField(t, hits[0].Body, "id").(string)
		var stored, sent map[string]any
		e.Get(e.P("/events/" + evID)).Expect(http.StatusOK).Decode(&stored)
		_ = json.Unmarshal(hits[0].Body, &sent)
		if sent["type"] != "com.gigs.user.created" || sent["specversion"] != "1.0" || sent["data"].(map[string]any)["id"] != user {
			t.Errorf("payload: %s", hits[0].Body)
		}
		if a, b := hookJSON(t, stored), hookJSON(t, sent); a != b {
			t.Errorf("payload differs from GET /events/%s:\n%s\n%s", evID, b, a)
		}
		if want := "msg_" + strings.TrimPrefix(evID, "evt_"); hits[0].Header.Get("webhook-id") != want {
			t.Errorf("webhook-id %q, want %q", hits[0].Header.Get("webhook-id"), want)
		}
		waitFor(t, "the success to be recorded", func() bool {
			ds := deliveries(t, e, ep)
			return len(ds) == 1 && ds[0].Status == "succeeded"
		})
		d := deliveries(t, e, ep)[0]
		var codes []int
		for _, a := range d.Attempts {
			codes = append(codes, *a.StatusCode)
		}
		if len(codes) != 3 || codes[0] != 500 || codes[1] != 500 || codes[2] != 200 || d.Attempts[2].Error != nil || d.Attempts[0].Error == nil {
			t.Errorf("attempts: %+v", d.Attempts)
		}
		e.Get(e.P("/webhookEndpoints/" + ep + "/deliveries/" + d.ID)).Expect(http.StatusOK)
	})
}

func hookJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWebhookRotationSignsWithBothSecrets: after a rotation a receiver that
// still holds the old secret, and one that has the new, both verify.
func TestWebhookRotationSignsWithBothSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{}, true)
		rcv := newReceiver(t, nil)
		ep, old := createEndpoint(t, e, map[string]any{"url": rcv.URL})
		fresh := e.Post(e.P("/webhookEndpoints/"+ep+"/rotateSecret"), nil).Expect(http.StatusOK).JSON()["secret"].(string)
		createUser(t, e, "bo@example.com")
		waitFor(t, "a delivery", func() bool { return len(rcv.got()) == 1 })
		h := rcv.got()[0]
		if n := len(strings.Fields(h.Header.Get("webhook-signature"))); n != 2 {
			t.Errorf("webhook-signature has %d signatures, want 2", n)
		}
		for name, s := range map[string]string{"old": old, "new": fresh} {
			wh, _ := standardwebhooks.NewWebhook(s)
			if err := wh.Verify(h.Body, h.Header); err != nil {
				t.Errorf("%s secret does not verify: %v", name, err)
			}
		}
	})
}

// TestWebhookEnabledEventsFilter: an endpoint gets only the types it names.
func TestWebhookEnabledEventsFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{}, true)
		all, some := newReceiver(t, nil), newReceiver(t, nil)
		createEndpoint(t, e, map[string]any{"url": all.URL})
		createEndpoint(t, e, map[string]any{"url": some.URL, "enabledEvents": []string{"user.updated"}})
		u := createUser(t, e, "cy@example.com")
		e.Patch(e.P("/users/"+u), map[string]any{"fullName": "Cy"}).Expect(http.StatusOK)
		waitFor(t, "both events", func() bool { return len(all.got()) == 2 })
		time.Sleep(100 * time.Millisecond)
		got := some.got()
		if len(got) != 1 || jsonField(t, got[0].Body, "type") != "com.gigs.user.updated" {
			t.Fatalf("filtered endpoint got %d deliveries", len(got))
		}
	})
}

// TestWebhookFailureRules: what counts as a failure and what follows.
func TestWebhookFailureRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{Schedule: []time.Duration{0, 10 * time.Millisecond}}, true)
		{ // 3xx is a failure, not followed
			target := newReceiver(t, nil)
			rcv := newReceiver(t, func(_ int, w http.ResponseWriter) {
				w.Header().Set("Location", target.URL)
				w.WriteHeader(http.StatusFound)
			})
			ep, _ := createEndpoint(t, e, map[string]any{"url": rcv.URL, "enabledEvents": []string{"plan.created"}})
			e.Post(e.P("/plans"), fxPlanBody("name", "Redirected")).Expect(http.StatusCreated)
			waitFor(t, "the delivery to fail", func() bool {
				ds := deliveries(t, e, ep)
				return len(ds) == 1 && ds[0].Status == "failed"
			})
			if d := deliveries(t, e, ep)[0]; len(d.Attempts) != 2 || *d.Attempts[0].StatusCode != 302 {
				t.Errorf("attempts: %+v", d.Attempts)
			}
			if len(target.got()) != 0 {
				t.Errorf("the redirect was followed")
			}
		}
		{ // 429 honours Retry-After
			rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusTooManyRequests)
				}
			})
			createEndpoint(t, e, map[string]any{"url": rcv.URL, "enabledEvents": []string{"user.created"}})
			createUser(t, e, "dee@example.com")
			waitFor(t, "the second attempt", func() bool { return len(rcv.got()) == 2 })
			if gap := rcv.got()[1].At.Sub(rcv.got()[0].At); gap < 900*time.Millisecond {
				t.Errorf("second attempt after %v, want at least Retry-After 1 s", gap)
			}
		}
		{ // 410 disables the endpoint and says so
			rcv := newReceiver(t, status(http.StatusGone))
			ep, _ := createEndpoint(t, e, map[string]any{"url": rcv.URL, "enabledEvents": []string{"userAddress.created"}})
			u := createUser(t, e, "ed@example.com")
			e.Post(e.P("/users/"+u+"/addresses"), map[string]any{"line1": "1 Main St", "city": "Berlin", "country": "DE", "postalCode": "10115"}).Expect(http.StatusCreated)
			waitFor(t, "the endpoint to be disabled", func() bool {
				return e.Get(e.P("/webhookEndpoints/" + ep)).JSON()["status"] == "disabled"
			})
			if n := len(rcv.got()); n != 1 {
				t.Errorf("410 was retried: %d attempts", n)
			}
			evs := fxEvents(t, e, "type=webhookEndpoint.disabled&resource="+ep)
			if len(evs) != 1 {
				t.Fatalf("%d webhookEndpoint.disabled events", len(evs))
			}
			e.Post(e.P("/webhookEndpoints/"+ep+"/recover"), map[string]any{"since": "2020-01-01T00:00:00Z"}).
				ExpectError(http.StatusConflict, "conflict", "webhookEndpointDisabled")
		}
	})
}

// TestWebhookContinuousFailureDisables: an endpoint whose attempts keep
// failing for DisableAfter is disabled, with an event.
func TestWebhookContinuousFailureDisables(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{Schedule: []time.Duration{0, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}, DisableAfter: 80 * time.Millisecond}, true)
		rcv := newReceiver(t, status(http.StatusServiceUnavailable))
		ep, _ := createEndpoint(t, e, map[string]any{"url": rcv.URL, "enabledEvents": []string{"user.created"}})
		createUser(t, e, "flo@example.com")
		waitFor(t, "the endpoint to be disabled", func() bool {
			return e.Get(e.P("/webhookEndpoints/" + ep)).JSON()["status"] == "disabled"
		})
		if len(fxEvents(t, e, "type=com.gigs.webhookEndpoint.disabled")) != 1 {
			t.Errorf("no webhookEndpoint.disabled event")
		}
		if ds := deliveries(t, e, ep); len(ds) != 1 || ds[0].Status != "failed" {
			t.Errorf("deliveries after disabling: %+v", ds)
		}
	})
}

// TestWebhookRetryAndRecover: a failed delivery is sent again on request,
// one by retry, all since a time by recover, with the same webhook-id.
func TestWebhookRetryAndRecover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{Schedule: []time.Duration{0}}, true)
		rcv := newReceiver(t, status(http.StatusInternalServerError))
		ep, _ := createEndpoint(t, e, map[string]any{"url": rcv.URL})
		for _, m := range []string{"g1@example.com", "g2@example.com", "g3@example.com"} {
			createUser(t, e, m)
		}
		waitFor(t, "three failures", func() bool {
			n := 0
			for _, d := range deliveries(t, e, ep) {
				if d.Status == "failed" {
					n++
				}
			}
			return n == 3
		})
		rcv.setReply(status(http.StatusNoContent))
		one := deliveries(t, e, ep)[0]
		r := e.Post(e.P("/webhookEndpoints/"+ep+"/deliveries/"+one.ID+"/retry"), nil).Expect(http.StatusOK).JSON()
		if r["status"] != "pending" {
			t.Errorf("retry answered %v", r)
		}
		waitFor(t, "the retried delivery", func() bool { return len(rcv.got()) == 4 })
		if got := rcv.got()[3].Header.Get("webhook-id"); got != one.ID {
			t.Errorf("retry sent webhook-id %q, want %q", got, one.ID)
		}
		rec := e.Post(e.P("/webhookEndpoints/"+ep+"/recover"), map[string]any{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}).Expect(http.StatusOK).JSON()
		if rec["deliveries"] != float64(2) {
			t.Errorf("recover: %v", rec)
		}
		waitFor(t, "every delivery to succeed", func() bool {
			for _, d := range deliveries(t, e, ep) {
				if d.Status != "succeeded" {
					return false
				}
			}
			return true
		})
		e.Post(e.P("/webhookEndpoints/"+ep+"/recover"), map[string]any{"since": "yesterday"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "sinceInvalid")
		e.Post(e.P("/webhookEndpoints/"+ep+"/deliveries/msg_0000000000000000000000/retry"), nil).ExpectError(http.StatusNotFound, "notFound", "")
	})
}

// TestWebhookPrivateTargetsRefused: without --webhooks-allow-private a
// literal private address or a localhost name is refused at create, and
// an endpoint that reaches loopback anyway (created while the server
// allowed private targets) is refused when the worker connects.
func TestWebhookPrivateTargetsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{Schedule: []time.Duration{0}}, false)
		rcv := newReceiver(t, nil)
		port := rcv.URL[strings.LastIndex(rcv.URL, ":"):]
		for _, u := range []string{rcv.URL, "http://10.1.2.3/h", "http://[::1]:8080/h", "http://169.254.169.254/latest",
			"http://localhost" + port + "/h", "https://LOCALHOST./h", "http://api.localhost:9000/h"} {
			e.Post(e.P("/webhookEndpoints"), map[string]any{"url": u}).ExpectError(http.StatusUnprocessableEntity, "invalid", "urlPrivate")
		}
		var ep string
		if err := db.InTx(context.Background(), func(tx *store.Tx) error {
			in := webhooks.Input{URL: optional.Value[string]{Set: true, Value: "http://localhost" + port + "/h"}}
			made, err := webhooks.Create(context.Background(), tx, e.Project, in, true, time.Now())
			if made != nil {
				ep = made.ID
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		createUser(t, e, "hal@example.com")
		waitFor(t, "the attempt to fail", func() bool {
			ds := deliveries(t, e, ep)
			return len(ds) == 1 && ds[0].Status == "failed"
		})
		d := deliveries(t, e, ep)[0]
		if len(d.Attempts) != 1 || d.Attempts[0].StatusCode != nil || !strings.Contains(*d.Attempts[0].Error, "refusing to connect") {
			t.Errorf("attempt: %+v", d.Attempts)
		}
		if len(rcv.got()) != 0 {
			t.Errorf("the private receiver was reached")
		}
	})
}

// TestWebhookTimeoutIsAFailure: an answer slower than the timeout counts
// as a failure without a status code, and is retried.
func TestWebhookTimeoutIsAFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := hookEnv(t, db, webhooks.Config{Timeout: 200 * time.Millisecond, Schedule: []time.Duration{0, 10 * time.Millisecond}}, true)
		rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
			if n == 1 {
				time.Sleep(600 * time.Millisecond)
			}
		})
		ep, _ := createEndpoint(t, e, map[string]any{"url": rcv.URL})
		createUser(t, e, "ivy@example.com")
		waitFor(t, "the retry to succeed", func() bool {
			ds := deliveries(t, e, ep)
			return len(ds) == 1 && ds[0].Status == "succeeded"
		})
		a := deliveries(t, e, ep)[0].Attempts
		if len(a) != 2 || a[0].StatusCode != nil || a[0].Error == nil || !strings.Contains(*a[0].Error, "Timeout") || *a[1].StatusCode != 200 {
			t.Errorf("attempts: %+v", a)
		}
	})
}
