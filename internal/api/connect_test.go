package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// connectSession is a Connect session as the API returns it.
type connectSession struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	URL         *string `json:"url"`
	User        *string `json:"user"`
	CallbackURL *string `json:"callbackUrl"`
	Appearance  struct {
		Theme string `json:"theme"`
	} `json:"appearance"`
	Intent    map[string]any `json:"intent"`
	ExpiresAt time.Time      `json:"expiresAt"`
}

func (w *world) connectSession(body map[string]any) connectSession {
	w.t.Helper()
	var cs connectSession
	w.Post(w.P("/connectSessions"), body).Expect(http.StatusCreated).Decode(&cs)
	return cs
}

// linkToken is the single-use token of a session url.
func linkToken(t testing.TB, link *string) string {
	t.Helper()
	if link == nil {
		t.Fatalf("session has no url")
	}
	u, err := url.Parse(*link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// TestConnectSessionShowsItsURLOnlyWhenCreated: the create answer carries
// the url with its token; a read does not, nor does any event.
func TestConnectSessionShowsItsURLOnlyWhenCreated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		cs := w.connectSession(map[string]any{"user": user, "intent": map[string]any{"type": "viewSubscriptions"},
			"callbackUrl": "https://brand.example/back", "appearance": map[string]any{"theme": "dark"}})
		token := linkToken(t, cs.URL)
		if !strings.Contains(*cs.URL, "/connect/entry?") || len(token) < 40 || cs.Status != "created" || cs.Appearance.Theme != "dark" || *cs.User != user {
			t.Fatalf("created session %+v", cs)
		}
		if !cs.ExpiresAt.Equal(worldStart.Add(time.Hour)) {
			t.Errorf("expiresAt %s, want an hour after creation", cs.ExpiresAt)
		}
		r := w.Get(w.P("/connectSessions/" + cs.ID)).Expect(http.StatusOK)
		if strings.Contains(string(r.Body), token) || r.JSON()["url"] != nil {
			t.Errorf("a read shows the url: %s", r.Body)
		}
		if ev := w.Get(w.P("/events?limit=200")).Expect(http.StatusOK); strings.Contains(string(ev.Body), token) {
			t.Errorf("an event holds the token")
		}
		w.advance(2 * time.Hour)
		if got := w.Get(w.P("/connectSessions/" + cs.ID)).Expect(http.StatusOK).JSON()["status"]; got != "expired" {
			t.Errorf("status after its lifetime %v, want expired", got)
		}
	})
}

// TestConnectIntentsAreCheckedAtCreation: an intent the pages could not
// carry out is refused with a clear code, and nothing is stored.
func TestConnectIntentsAreCheckedAtCreation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user, other := w.user(nil), w.user(nil)
		plan := w.plan(nil)
		archived := w.plan(nil)
		w.Patch(w.P("/plans/"+archived), map[string]any{"status": "archived"}).Expect(http.StatusOK)
		mine := w.subscribe(plan, user, "auto", nil)
		theirs := w.subscribe(plan, other, "auto", nil)
		ended := w.subscribe(plan, user, "auto", nil)
		w.advance(5 * time.Minute)
		w.endNow(ended.ID)
		in := func(typ string, body map[string]any) map[string]any {
			i := map[string]any{"type": typ}
			if body != nil {
				i[typ] = body
			}
			return i
		}
		for _, tc := range []struct {
			name string
			body map[string]any
			code string
		}{
			{"no intent", map[string]any{"user": user}, "fieldRequired"},
			{"unknown type", map[string]any{"user": user, "intent": in("buyEverything", nil)}, "invalidEnumValue"},
			{"another type's object", map[string]any{"user": user, "intent": map[string]any{"type": "viewSubscriptions", "viewSubscription": map[string]any{"subscription": mine.ID}}}, "connectSessionIntentInvalid"},
			{"checkout without plan", map[string]any{"intent": in("checkoutNewSubscription", map[string]any{})}, "fieldRequired"},
			{"unknown plan", map[string]any{"intent": in("checkoutNewSubscription", map[string]any{"plan": "pln_0000000000000000000000"})}, "planNotFound"},
			{"archived plan", map[string]any{"intent": in("checkoutNewSubscription", map[string]any{"plan": archived})}, "planNotAvailable"},
			{"unknown voucher", map[string]any{"intent": in("checkoutNewSubscription", map[string]any{"plan": plan, "voucherCode": "NOPE"})}, "voucherCodeNotFound"},
			{"bad imei", map[string]any{"intent": in("checkoutNewSubscription", map[string]any{"plan": plan, "imei": "12"})}, "imeiInvalid"},
			{"unknown add-on", map[string]any{"user": user, "intent": in("checkoutAddon", map[string]any{"subscription": mine.ID, "addons": []string{"add_0000000000000000000000"}})}, "addonNotFound"},
			{"another user's subscription", map[string]any{"user": user, "intent": in("viewSubscription", map[string]any{"subscription": theirs.ID})}, "subscriptionNotFound"},
			{"resume an ended subscription", map[string]any{"user": user, "intent": in("resumeSubscription", map[string]any{"subscription": ended.ID})}, "subscriptionEnded"},
			{"resume an active subscription", map[string]any{"user": user, "intent": in("resumeSubscription", map[string]any{"subscription": mine.ID})}, "subscriptionNotCanceled"},
			{"cancel an ended subscription", map[string]any{"user": user, "intent": in("cancelSubscription", map[string]any{"subscription": ended.ID})}, "subscriptionEnded"},
			{"subscription intent without user", map[string]any{"intent": in("viewSubscription", map[string]any{"subscription": mine.ID})}, "connectSessionUserRequired"},
			{"unknown payment", map[string]any{"user": user, "intent": in("confirmPayment", map[string]any{"payment": "pay_0000000000000000000000"})}, "paymentNotFound"},
			{"unknown user", map[string]any{"user": "usr_0000000000000000000000", "intent": in("viewSubscriptions", nil)}, "userNotFound"},
			{"user and userDetails", map[string]any{"user": user, "userDetails": map[string]any{"email": "a@example.com"}, "intent": in("viewSubscriptions", nil)}, "connectSessionUserConflict"},
			{"userDetails of nobody outside a checkout", map[string]any{"userDetails": map[string]any{"email": "nobody@example.com"}, "intent": in("viewSubscriptions", nil)}, "userNotFound"},
			{"bad callbackUrl", map[string]any{"user": user, "callbackUrl": "javascript:alert(1)", "intent": in("viewSubscriptions", nil)}, "callbackUrlInvalid"},
			{"bad theme", map[string]any{"user": user, "appearance": map[string]any{"theme": "pink"}, "intent": in("viewSubscriptions", nil)}, "invalidEnumValue"},
			{"unknown intent field", map[string]any{"user": user, "intent": in("viewSubscription", map[string]any{"subscription": mine.ID, "x": 1})}, "unknownField"},
		} {
			before := takeSnapshot(t, db)
			r := w.Post(w.P("/connectSessions"), tc.body)
			r.ExpectError(http.StatusUnprocessableEntity, "invalid", tc.code)
			if d := before.diff(takeSnapshot(t, db)); len(d) > 0 {
				t.Errorf("%s: the refusal changed the database: %v", tc.name, d)
			}
		}
		// The valid forms of the same intents are accepted.
		w.connectSession(map[string]any{"user": user, "intent": in("viewSubscription", map[string]any{"subscription": mine.ID})})
		w.connectSession(map[string]any{"intent": in("checkoutNewSubscription", map[string]any{"plan": plan})})
		cs := w.connectSession(map[string]any{"userDetails": map[string]any{"email": "new@example.com"}, "intent": in("checkoutNewSubscription", map[string]any{"plan": plan})})
		if cs.User != nil {
			t.Errorf("userDetails of nobody linked user %v", *cs.User)
		}
	})
}

// embedAuth exchanges a session url's token.
func embedAuth(w *world, token string) *apitest.Response {
	return w.Do(apitest.Request{Method: http.MethodPost, Path: "/api/embeds/auth", NoAuth: true, Body: map[string]any{"secret": token}})
}

// TestEmbedTokenExchangeIsSingleUseAndExpires: a url's token is exchanged
// once for an access token; a used or expired one is 422, and the
// session reads as opened with connectSession.updated recorded.
func TestEmbedTokenExchangeIsSingleUseAndExpires(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		cs := w.connectSession(map[string]any{"user": user, "intent": map[string]any{"type": "viewSubscriptions"}})
		var out struct {
			Token struct {
				AccessToken string `json:"access_token"`
			} `json:"token"`
		}
		r := embedAuth(w, linkToken(t, cs.URL)).Expect(http.StatusOK)
		r.Decode(&out)
		if out.Token.AccessToken == "" || r.Header.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("exchange %s %v", r.Body, r.Header)
		}
		embedAuth(w, linkToken(t, cs.URL)).ExpectError(http.StatusUnprocessableEntity, "invalid", "connectSessionUsed")
		embedAuth(w, "not-a-token").ExpectError(http.StatusUnprocessableEntity, "invalid", "connectSessionExpired")
		if got := w.Get(w.P("/connectSessions/" + cs.ID)).Expect(http.StatusOK).JSON()["status"]; got != "opened" {
			t.Errorf("status %v, want opened", got)
		}
		if n := len(w.Get(w.P("/events?type=connectSession.updated&resource=" + cs.ID)).Expect(http.StatusOK).JSON()["items"].([]any)); n != 1 {
			t.Errorf("%d connectSession.updated events, want 1", n)
		}
		late := w.connectSession(map[string]any{"user": user, "intent": map[string]any{"type": "viewSubscriptions"}})
		w.advance(61 * time.Minute)
		embedAuth(w, linkToken(t, late.URL)).ExpectError(http.StatusUnprocessableEntity, "invalid", "connectSessionExpired")
		// The access token lasts an hour of the project's clock too.
		w.Do(apitest.Request{Method: http.MethodGet, Path: w.P("/subscriptions"), Key: out.Token.AccessToken}).
			ExpectError(http.StatusUnauthorized, "unauthenticated", "")
	})
}

// TestEmbedTokenReachesOnlyItsUsersSubscriptionsAndPortings tries every
// API route with an embed access token: it reads its user's subscriptions
// and updates its user's portings; another user's are not found; every
// other route is refused (401 accessTokenScope).
func TestEmbedTokenReachesOnlyItsUsersSubscriptionsAndPortings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user, other := w.user(nil), w.user(nil)
		plan := w.plan(nil)
		mine, theirs := w.subscribe(plan, user, "auto", nil), w.subscribe(plan, other, "auto", nil)
		myPorting, theirPorting := w.draft(user, "+12015550180"), w.draft(other, "+12015550181")
		cs := w.connectSession(map[string]any{"user": user, "intent": map[string]any{"type": "viewSubscriptions"}})
		var out struct {
			Token struct {
				AccessToken string `json:"access_token"`
			} `json:"token"`
		}
		embedAuth(w, linkToken(t, cs.URL)).Expect(http.StatusOK).Decode(&out)
		as := func(method, path string, body any) *apitest.Response {
			return w.Do(apitest.Request{Method: method, Path: path, Key: out.Token.AccessToken, Body: body})
		}
		var list struct{ Items []struct{ ID string } }
		as(http.MethodGet, w.P("/subscriptions"), nil).Expect(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].ID != mine.ID {
			t.Errorf("list shows %v, want only %s", list.Items, mine.ID)
		}
		as(http.MethodGet, w.P("/subscriptions?user="+other), nil).ExpectError(http.StatusUnauthorized, "unauthenticated", "accessTokenScope")
		as(http.MethodGet, w.P("/subscriptions/"+mine.ID), nil).Expect(http.StatusOK)
		as(http.MethodGet, w.P("/subscriptions/"+theirs.ID), nil).ExpectError(http.StatusNotFound, "notFound", "")
		as(http.MethodPatch, w.P("/portings/"+myPorting.ID), map[string]any{"firstName": "Elaine"}).Expect(http.StatusOK)
		as(http.MethodPatch, w.P("/portings/"+theirPorting.ID), map[string]any{"firstName": "Elaine"}).ExpectError(http.StatusNotFound, "notFound", "")
		// Actions are the user's own in the event log.
		var evs struct {
			Items []struct {
				Actor map[string]any `json:"actor"`
			} `json:"items"`
		}
		w.Get(w.P("/events?type=porting.updated&resource=" + myPorting.ID)).Expect(http.StatusOK).Decode(&evs)
		if len(evs.Items) != 1 || evs.Items[0].Actor["type"] != "user" || evs.Items[0].Actor["user"] != user {
			t.Errorf("porting.updated actor %v", evs.Items)
		}
		// Every other route is refused before anything is read or changed.
		allowed := map[string]bool{"GET /projects/{project}/subscriptions": true, "GET /projects/{project}/subscriptions/{subscription}": true,
			"PATCH /projects/{project}/portings/{porting}": true}
		before := takeSnapshot(t, db)
		for _, route := range apiRoutes(db) {
			method, pattern, _ := strings.Cut(route, " ")
			if allowed[route] || !strings.Contains(pattern, "{project}") && !strings.HasPrefix(pattern, "/testing/") {
				continue
			}
			if strings.HasPrefix(pattern, "/paymentProviders/") {
				continue // signed by Stripe: no bearer token is read
			}
			path := strings.NewReplacer("{project}", w.Project).Replace(pattern)
			for strings.Contains(path, "{") {
				i, j := strings.Index(path, "{"), strings.Index(path, "}")
				path = path[:i] + "x_0000000000000000000000" + path[j+1:]
			}
			r := as(method, path, map[string]any{})
			if r.Status != http.StatusUnauthorized || r.JSON()["code"] != "accessTokenScope" {
				t.Errorf("%s with an embed token: %d %s, want 401 accessTokenScope", route, r.Status, r.Body)
			}
		}
		if d := before.diff(takeSnapshot(t, db)); len(d) > 0 {
			t.Errorf("refused routes changed the database: %v", d)
		}
	})
}
