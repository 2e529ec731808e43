package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cellgate/internal/operators"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestEveryConsoleRouteRefusesStrangers walks every console route behind a
// session, pages registered later included: an anonymous visitor is sent
// to the login page (GET) or refused (POST); an operator of another
// project gets notFound and none of the project's data; a state change
// without the session's CSRF token, or with another one, is refused; a
// support operator cannot open the pages of credentials. None of these
// refusals changes anything.
func TestEveryConsoleRouteRefusesStrangers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		anon := w.anonymous()
		stranger := w.login("other", operators.Owner)
		owner := w.login("acme", operators.Owner)
		support := w.login("acme", operators.Support)
		changes := `SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL) * 1000000 +
			(SELECT COUNT(*) FROM operator_sessions) * 1000`
		before := w.count(changes)
		routes, credentialRoutes := w.srv.Console().Routes(), 0
		if len(routes) < 15 {
			t.Fatalf("only %d console routes: %v", len(routes), routes)
		}
		for _, route := range routes {
			method, pattern, _ := strings.Cut(route, " ")
			path := w.path(pattern)
			send := func(b *browser, form url.Values) page {
				if method == http.MethodGet {
					return b.get(path)
				}
				return b.postRaw(path, form)
			}
			// Anonymous.
			p := send(anon, url.Values{"csrf": {"x"}})
			if method == http.MethodGet {
				if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/login?next=") {
					t.Errorf("%s anonymous: %d to %q", route, p.status, p.location)
				}
			} else if p.status != http.StatusUnauthorized {
				t.Errorf("%s anonymous: %d, want 401", route, p.status)
			}
			if strings.Contains(p.body, w.user.email) {
				t.Errorf("%s anonymous: the answer shows the user's email", route)
			}
			if !strings.Contains(pattern, "{project}") {
				continue
			}
			// An operator of another project, with its own valid token.
			p = send(stranger, url.Values{"csrf": {stranger.csrf}})
			if p.status != http.StatusNotFound || strings.Contains(p.body, w.user.email) || strings.Contains(p.body, "Elaine") {
				t.Errorf("%s from another project's session: %d", route, p.status)
			}
			if method == http.MethodPost {
				// The project's owner, without or with a wrong token.
				for _, form := range []url.Values{{}, {"csrf": {stranger.csrf}}, {"csrf": {owner.csrf + "x"}}} {
					if p := owner.postRaw(path, form); p.status != http.StatusForbidden || !strings.Contains(p.body, "csrfTokenInvalid") {
						t.Errorf("%s without the session's CSRF token (%v): %d", route, form, p.status)
					}
				}
			}
			// Support on the pages of credentials.
			if w.srv.Console().ShowsCredentials(route) {
				credentialRoutes++
				if p := send(support, url.Values{"csrf": {support.csrf}}); p.status != http.StatusForbidden {
					t.Errorf("%s as support: %d, want 403", route, p.status)
				}
			}
		}
		if credentialRoutes < 7 {
			t.Errorf("only %d routes are closed to support", credentialRoutes)
		}
		if after := w.count(changes); after != before {
			t.Errorf("refused requests changed the database: %d → %d", before, after)
		}
	})
}

// TestPasswordsAndSessionTokensNeverLogged: after logins (a failed one
// too) and a few pages and actions, the server's log holds neither the
// password, nor the session cookie, nor the CSRF token.
func TestPasswordsAndSessionTokensNeverLogged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		email := w.operator("acme", operators.Owner)
		w.anonymous().loginAs(email, "wrong "+password, http.StatusUnauthorized)
		b := w.anonymous()
		b.loginAs(email, password, http.StatusSeeOther)
		b.get("/console/p/acme/users?q=" + url.QueryEscape(w.user.email)).expect(http.StatusOK)
		b.post("/console/p/acme/developers/apiKeys", url.Values{"name": {"logged?"}}).expect(http.StatusOK)
		u, _ := url.Parse(w.Server.URL + "/console/")
		var session string
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == "cellgate_console" {
				session = c.Value
			}
		}
		log := w.log.String()
		if session == "" || !strings.Contains(log, "/console/p/acme/users") {
			t.Fatalf("no session cookie (%q) or no request log", session)
		}
		for name, secret := range map[string]string{"password": password, "session token": session, "CSRF token": b.csrf} {
			if strings.Contains(log, secret) {
				t.Errorf("the log holds the %s", name)
			}
		}
	})
}
