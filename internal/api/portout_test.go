package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/network"
	"cellgate/internal/platform"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// portOutView is a port-out as the API returns it.
type portOutView struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	Behavior      string     `json:"behavior"`
	FailureReason *string    `json:"failureReason"`
	ExpiredAt     *time.Time `json:"expiredAt"`
	Subscription  string     `json:"subscription"`
	User          string     `json:"user"`
}

func (w *world) portOut(id string) portOutView {
	w.t.Helper()
	var p portOutView
	w.Get(w.P("/portOuts/" + id)).Expect(http.StatusOK).Decode(&p)
	return p
}

func (w *world) createPortOut(sub string) portOutView {
	w.t.Helper()
	var p portOutView
	w.Post(w.P("/portOuts"), map[string]any{"subscription": sub}).Expect(http.StatusCreated).Decode(&p)
	return w.portOut(p.ID)
}

// credentials reads a port-out's credentials and checks that no cache may
// keep them.
func (w *world) credentials(id string) (account, pin string) {
	w.t.Helper()
	r := w.Get(w.P("/portOuts/" + id + "/credentials")).Expect(http.StatusOK)
	if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
		w.t.Fatalf("credentials Cache-Control = %q, want private, no-store", cc)
	}
	var c struct{ Object, AccountNumber, AccountPin, PortOut string }
	r.Decode(&c)
	if c.Object != "portOutCredentials" || c.PortOut != id || c.AccountNumber == "" || c.AccountPin == "" {
		w.t.Fatalf("credentials = %+v", c)
	}
	return c.AccountNumber, c.AccountPin
}

// TestPortOutIssuesCredentialsAndTheNumberLeaves: without consent, a
// port-out of an active subscription is processing, the carrier issues
// credentials (issued, portOut.issued, expiredAt when they stop working),
// and when another carrier takes the number with them the subscription
// ends with cause phoneNumberPortedOut. The credentials appear in no
// event and are gone once the number has left.
func TestPortOutIssuesCredentialsAndTheNumberLeaves(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		var created portOutView
		w.Post(w.P("/portOuts"), map[string]any{"subscription": s.ID}).Expect(http.StatusCreated).Decode(&created)
		if created.Status != "processing" || created.Behavior != "portOut" || created.User == "" {
			t.Fatalf("created port-out = %+v, want processing", created)
		}
		p := w.portOut(created.ID)
		if p.Status != "issued" || p.ExpiredAt == nil || !p.ExpiredAt.Equal(w.now().Add(30*24*time.Hour)) {
			t.Fatalf("port-out = %+v, want issued, valid for the profile's 30 days", p)
		}
		account, pin := w.credentials(p.ID)
		evs := w.eventsOf(p.ID)
		if want := []string{"com.gigs.portOut.created", "com.gigs.portOut.issued"}; !slices.Equal(types(evs), want) {
			t.Fatalf("events = %v, want %v", types(evs), want)
		}
		for _, e := range evs {
			if strings.Contains(string(e.Data), pin) || strings.Contains(string(e.Data), account) {
				t.Fatalf("event %s shows a credential: %s", e.Type, e.Data)
			}
		}
		var list struct{ Items []portOutView }
		w.Get(w.P("/portOuts?subscription=" + s.ID)).Expect(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].ID != p.ID {
			t.Fatalf("list by subscription = %+v", list.Items)
		}

		w.advance(time.Hour)
		w.Post("/testing/projects/"+w.Project+"/portOuts/"+p.ID+"/complete", nil).Expect(http.StatusOK)
		ended := w.sub(s.ID)
		if ended.Status != "ended" || ended.CancellationDetails["cause"] != "phoneNumberPortedOut" {
			t.Fatalf("subscription after the port-out = %+v, want ended with phoneNumberPortedOut", ended)
		}
		w.Get(w.P("/portOuts/"+p.ID+"/credentials")).ExpectError(http.StatusConflict, "conflict", "portOutCredentialsNotAvailable")
		w.Post(w.P("/portOuts"), map[string]any{"subscription": s.ID}).ExpectError(http.StatusUnprocessableEntity, "invalid", "portOutNotAllowed")
	})
}

// TestPortOutEligibility: the SIM active or inactive, the subscription
// activated at least once, and ended at most 30 days ago.
func TestPortOutEligibility(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		pending := w.subscribe(plan, w.user(nil), "auto", nil)
		w.Post(w.P("/portOuts"), map[string]any{"subscription": pending.ID}).ExpectError(http.StatusUnprocessableEntity, "invalid", "portOutNotAllowed")
		w.Post(w.P("/portOuts"), map[string]any{"subscription": "sub_0000000000000000000000"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "subscriptionNotFound")
		w.Post(w.P("/portOuts"), map[string]any{}).ExpectError(http.StatusUnprocessableEntity, "invalid", "fieldRequired")

		recent, old := w.activeSub(plan, w.user(nil), "auto"), w.activeSub(plan, w.user(nil), "auto")
		w.endNow(old.ID)
		w.advance(31 * 24 * time.Hour)
		w.endNow(recent.ID)
		w.advance(29 * 24 * time.Hour)
		w.Post(w.P("/portOuts"), map[string]any{"subscription": old.ID}).ExpectError(http.StatusUnprocessableEntity, "invalid", "portOutNotAllowed")
		if p := w.createPortOut(recent.ID); p.Status != "issued" {
			t.Fatalf("port-out of a subscription ended 29 days ago = %+v, want issued", p)
		}
	})
}

// TestPortOutConflicts: one open port-out per subscription
// (portOutAlreadyExists); no port-out while the number is still being
// ported in (portOutConflictsWithPorting); no porting in of a number on
// its way out (portingConflictsWithPortOut).
func TestPortOutConflicts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		s := w.activeSub(w.plan(nil), user, "auto")
		w.createPortOut(s.ID)
		w.Post(w.P("/portOuts"), map[string]any{"subscription": s.ID}).ExpectError(http.StatusConflict, "conflict", "portOutAlreadyExists")
		w.Post(w.P("/portings"), map[string]any{"phoneNumber": *s.PhoneNumber, "provider": "test", "user": user}).
			ExpectError(http.StatusConflict, "conflict", "portingConflictsWithPortOut")

		w.toMonday()
		porting, _ := w.portedSub(testNumber, holder(w.donorID("AT&T")))
		// The subscription waiting for its number was never activated
		// either; the porting is the reason given.
		w.Post(w.P("/portOuts"), map[string]any{"subscription": porting.ID}).ExpectError(http.StatusConflict, "conflict", "portOutConflictsWithPorting")
	})
}

// consentToken finds the token in the newest consent email to a test
// project.
func (w *world) consentToken() string {
	w.t.Helper()
	var page struct {
		Items []struct{ Subject, Text string }
	}
	w.Get("/testing/projects/" + w.Project + "/emails").Expect(http.StatusOK).Decode(&page)
	for _, m := range page.Items {
		if t := regexp.MustCompile(`/consent#(csr_[0-9A-Za-z]+\.[0-9A-Za-z_-]+)`).FindStringSubmatch(m.Text); t != nil {
			return t[1]
		}
	}
	w.t.Fatalf("no consent email in %+v", page.Items)
	return ""
}

func (w *world) requireConsent() {
	w.t.Helper()
	w.Patch(w.P(""), map[string]any{"consent": map[string]any{"deliveryMethods": []string{"email"}, "actions": []string{"portOut"}}}).Expect(http.StatusOK)
}

func (w *world) decide(verb, token string) *apitest.Response {
	return w.Do(apitest.Request{Method: http.MethodPost, Path: "/consentRequests/" + verb, Body: map[string]any{"token": token}, NoAuth: true})
}

// TestPortOutWithConsentWaitsForApproval: when the project requires
// consent to port-outs, a port-out is initiated and the user gets an
// email with a token; approving with it moves the port-out to processing
// and on to issued. The token works once.
func TestPortOutWithConsentWaitsForApproval(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.requireConsent()
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		p := w.createPortOut(s.ID)
		if p.Status != "initiated" {
			t.Fatalf("port-out = %+v, want initiated until the user consents", p)
		}
		w.Get(w.P("/portOuts/"+p.ID+"/credentials")).ExpectError(http.StatusConflict, "conflict", "portOutCredentialsNotAvailable")
		var reqs struct {
			Items []struct{ ID, Status, Action, Subject, User string }
		}
		w.Get(w.P("/consentRequests?subject=" + p.ID)).Expect(http.StatusOK).Decode(&reqs)
		if len(reqs.Items) != 1 || reqs.Items[0].Status != "pending" || reqs.Items[0].Action != "portOut" {
			t.Fatalf("consent requests = %+v", reqs.Items)
		}
		token := w.consentToken()
		w.decide("approve", token+"x").ExpectError(http.StatusUnprocessableEntity, "invalid", "consentTokenInvalid")
		var decided struct{ Status string }
		w.decide("approve", token).Expect(http.StatusOK).Decode(&decided)
		if decided.Status != "approved" {
			t.Fatalf("decision = %+v, want approved", decided)
		}
		if got := w.portOut(p.ID); got.Status != "issued" {
			t.Fatalf("port-out after approval = %+v, want issued", got)
		}
		w.credentials(p.ID)
		w.decide("reject", token).ExpectError(http.StatusConflict, "conflict", "consentRequestAlreadyDecided")
		evs := types(w.eventsOf(reqs.Items[0].ID))
		if want := []string{"com.gigs.consentRequest.created", "com.gigs.consentRequest.approved"}; !slices.Equal(evs, want) {
			t.Fatalf("consent events = %v, want %v", evs, want)
		}
	})
}

// TestConsentThatIsNotGivenFailsThePortOut: rejection fails the port-out
// with consentNotGiven; a request nobody answers for 7 days expires, and
// one the project cancels is canceled: both fail it with
// consentRequestCanceled.
func TestConsentThatIsNotGivenFailsThePortOut(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.requireConsent()
		plan := w.plan(nil)
		for _, tc := range []struct{ name, status, reason string }{
			{"rejected", "rejected", "consentNotGiven"},
			{"expired", "expired", "consentRequestCanceled"},
			{"canceled", "canceled", "consentRequestCanceled"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := w.activeSub(plan, w.user(nil), "auto")
				p := w.createPortOut(s.ID)
				var reqs struct{ Items []struct{ ID, Status string } }
				w.Get(w.P("/consentRequests?subject=" + p.ID)).Expect(http.StatusOK).Decode(&reqs)
				csr := reqs.Items[0].ID
				switch tc.name {
				case "rejected":
					w.decide("reject", w.consentToken()).Expect(http.StatusOK)
				case "expired":
					w.advance(7*24*time.Hour - time.Minute)
					if got := w.portOut(p.ID); got.Status != "initiated" {
						t.Fatalf("port-out a minute before the consent expires = %+v", got)
					}
					w.advance(time.Minute)
				case "canceled":
					w.Post(w.P("/consentRequests/"+csr+"/cancel"), nil).Expect(http.StatusOK)
					w.Post(w.P("/consentRequests/"+csr+"/cancel"), nil).ExpectError(http.StatusConflict, "conflict", "consentRequestNotCancelable")
				}
				var c struct{ Status string }
				w.Get(w.P("/consentRequests/" + csr)).Expect(http.StatusOK).Decode(&c)
				got := w.portOut(p.ID)
				if c.Status != tc.status || got.Status != "failed" || got.FailureReason == nil || *got.FailureReason != tc.reason {
					t.Fatalf("consent %s, port-out %+v; want %s and failed with %s", c.Status, got, tc.status, tc.reason)
				}
				if s := w.sub(s.ID); s.Status != "active" {
					t.Fatalf("subscription = %s, want still active", s.Status)
				}
			})
		}
	})
}

// TestIssuedCredentialsExpire: credentials nobody used are gone when the
// carrier's validity ends (expired, portOut.updated); the subscription
// stays, and a new port-out can be made.
func TestIssuedCredentialsExpire(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		p := w.createPortOut(s.ID)
		w.advanceTo(p.ExpiredAt.Add(-time.Second))
		w.credentials(p.ID)
		w.advanceTo(*p.ExpiredAt)
		if got := w.portOut(p.ID); got.Status != "expired" {
			t.Fatalf("port-out at its expiry = %+v, want expired", got)
		}
		w.Get(w.P("/portOuts/"+p.ID+"/credentials")).ExpectError(http.StatusConflict, "conflict", "portOutCredentialsNotAvailable")
		if got := w.sub(s.ID); got.Status != "active" {
			t.Fatalf("subscription = %s, want active", got.Status)
		}
		w.createPortOut(s.ID)
	})
}

// restart replaces the world's server with a new one on the same
// database, with new simulators: what `serve` does when it restarts.
func (w *world) restart(db *store.DB) {
	w.t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv := api.New(api.Config{DB: db, Logger: log, Version: "test", Platform: platform.New(db, log, network.Default())})
	w.Server.Close()
	w.Server = httptest.NewServer(srv.Handler())
	w.t.Cleanup(w.Server.Close)
}

// TestSimulatorRemembersPortingsAcrossARestart: the built-in simulator
// keeps its portings and issued port-out credentials in the database, so
// a porting requested before a restart completes after it, and a
// port-out issued before it can still be completed.
func TestSimulatorRemembersPortingsAcrossARestart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.toMonday()
		s, p := w.portedSub("+12015550140", holder(w.donorID("AT&T")))
		if p.Status != "requested" {
			t.Fatalf("porting = %+v, want requested", p)
		}
		active := w.activeSub(w.plan(nil), w.user(nil), "auto")
		po := w.createPortOut(active.ID)

		w.restart(db)
		w.advance(3 * 24 * time.Hour)
		if got := w.porting(p.ID); got.Status != "completed" {
			t.Fatalf("porting after a restart = %+v, want completed", got)
		}
		if got := w.sub(s.ID); got.Status != "active" {
			t.Fatalf("ported subscription = %s, want active", got.Status)
		}
		w.Post("/testing/projects/"+w.Project+"/portOuts/"+po.ID+"/complete", nil).Expect(http.StatusOK)
		if got := w.sub(active.ID); got.Status != "ended" {
			t.Fatalf("subscription after its number left = %s, want ended", got.Status)
		}
	})
}

// TestPortOutCredentialsNeverLeave: the credentials show only in the
// answer of GET .../credentials; no other response, event, log line,
// operation row or simulator state holds the PIN, and the consent token
// is in no log either.
func TestPortOutCredentialsNeverLeave(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg, logs := observedConfig()
		w := newWorldWith(t, db, cfg)
		w.requireConsent()
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		p := w.createPortOut(s.ID)
		token := w.consentToken()
		w.decide("approve", token).Expect(http.StatusOK)
		account, pin := w.credentials(p.ID)
		bodies := [][]byte{w.Get(w.P("/portOuts/" + p.ID)).Expect(http.StatusOK).Body,
			w.Get(w.P("/portOuts?limit=200")).Expect(http.StatusOK).Body,
			w.Get(w.P("/events?limit=200")).Expect(http.StatusOK).Body}
		w.Post("/testing/projects/"+w.Project+"/portOuts/"+p.ID+"/complete", nil).Expect(http.StatusOK)
		bodies = append(bodies, w.Get(w.P("/events?limit=200")).Expect(http.StatusOK).Body)
		for i, b := range bodies {
			if strings.Contains(string(b), pin) || strings.Contains(string(b), account) {
				t.Fatalf("response %d shows a credential: %s", i, b)
			}
		}
		if text := logs.text(); strings.Contains(text, pin) || strings.Contains(text, token) {
			t.Fatal("the log shows the PIN or the consent token")
		}
		var n int
		for _, q := range []string{`SELECT COUNT(*) FROM operations WHERE payload LIKE ? OR result LIKE ? OR last_error LIKE ?`,
			`SELECT COUNT(*) FROM simulator_state WHERE state LIKE ? OR state LIKE ? OR state LIKE ?`,
			`SELECT COUNT(*) FROM port_outs WHERE account_pin LIKE ? OR account_pin LIKE ? OR account_pin LIKE ?`} {
			if err := db.QueryRow(t.Context(), q, "%"+pin+"%", "%"+pin+"%", "%"+pin+"%").Scan(&n); err != nil || n != 0 {
				t.Fatalf("%s: %d rows hold the PIN (%v)", q, n, err)
			}
		}
	})
}
