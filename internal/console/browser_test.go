package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cellgate/internal/apitest"
	"cellgate/internal/browsertest"
	"cellgate/internal/operators"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// login logs in through the console's form.
func login(c *browsertest.Tab, email string) {
	c.Open("/console/login")
	c.Do(chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password))
	c.Click("#login")
}

// TestBrowserOperatorJourney drives the console in headless Chromium: log
// in, find a user by phone number, open the subscription, read its usage
// chart, cancel it, issue
// a credit note, retry a failed webhook delivery, create an API key and
// revoke it (the API refuses it at once), then check that a support
// operator sees no keys and no credentials.
func TestBrowserOperatorJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := browsertest.New(t, w.Server.URL, 1280, 900)
		c.AcceptDialogs()
		owner := w.operator("acme", operators.Owner)

		c.Open("/console/p/acme/users")
		if !strings.Contains(c.HTML(), `id="login"`) {
			t.Fatal("an anonymous visitor is not sent to the login page")
		}
		login(c, owner)
		c.Screenshot("after login")
		if !strings.Contains(c.Text("nav"), "Developers") {
			t.Fatalf("owner's navigation: %q", c.Text("nav"))
		}

		c.Open("/console/p/acme/users")
		c.Do(chromedp.SendKeys(chromedp.ID("q"), w.user.phone))
		c.Click("#search")
		c.Screenshot("user found by phone")
		if got := c.Text("#users"); !strings.Contains(got, w.user.email) {
			t.Fatalf("search by %s: %q", w.user.phone, got)
		}
		c.Click("#users a")
		c.Click("#subscriptions a")
		c.Screenshot("subscription")
		if got := c.Text("#sub-status"); got != "active" {
			t.Fatalf("subscription status %q", got)
		}
		if used, limit := c.Text("#usage-data .used"), c.Text("#usage-data .limit"); used != "250.0 MB" || limit != "1.00 GB" {
			t.Fatalf("usage chart reads %q of %q", used, limit)
		}
		if n, err := chromedp.Run(c.Ctx, chromedp.Nodes(chromedp.CSS("#usage-data svg rect.day"))); err != nil || len(n) != 1 {
			t.Fatalf("usage chart bars: %d (%v)", len(n), err)
		}
		c.Click("#cancel")
		c.Screenshot("canceled")
		if !strings.Contains(c.HTML(), `id="resume"`) {
			t.Fatal("no resume button after cancel")
		}
		var sub struct{ CanceledAt *string }
		w.Get(w.P("/subscriptions/" + w.ids["subscription"])).Expect(http.StatusOK).Decode(&sub)
		if sub.CanceledAt == nil {
			t.Fatal("the API does not see the cancellation")
		}

		c.Open("/console/p/acme/invoices/" + w.ids["invoice"])
		c.Click("#credit")
		c.Screenshot("credit note")
		if got := c.Text("#credit-notes"); !strings.Contains(got, "issued") {
			t.Fatalf("credit notes: %q", got)
		}

		c.Open("/console/p/acme/developers/webhooks/" + w.ids["endpoint"])
		c.Click("button.retry")
		c.Screenshot("delivery retried")
		var d struct{ Status string }
		w.Get(w.P("/webhookEndpoints/" + w.ids["endpoint"] + "/deliveries/" + w.ids["delivery"])).Expect(http.StatusOK).Decode(&d)
		if w.count(`SELECT COUNT(*) FROM events WHERE type = 'com.gigs.user.created'`) == 0 || d.Status == "" {
			t.Fatalf("delivery after retry: %+v", d)
		}

		c.Open("/console/p/acme/developers")
		c.Do(chromedp.SendKeys(chromedp.ID("key-name"), "browser key"))
		c.Click("#create-key")
		c.Screenshot("key created")
		secret := strings.TrimSpace(c.Text("#new-key-secret"))
		if !regexp.MustCompile(`^cgk_[0-9A-Za-z]{32}$`).MatchString(secret) {
			t.Fatalf("new key %q", secret)
		}
		w.Do(apitest.Request{Method: http.MethodGet, Path: w.P("/users"), Key: secret}).Expect(http.StatusOK)
		id := regexp.MustCompile(`data-key="(apk_[0-9A-Za-z]+)"><td>browser key`).FindStringSubmatch(c.HTML())
		if id == nil {
			t.Fatal("no row for the new key")
		}
		c.Click(`tr[data-key="` + id[1] + `"] button.revoke`)
		c.Screenshot("key revoked")
		w.Do(apitest.Request{Method: http.MethodGet, Path: w.P("/users"), Key: secret}).ExpectError(http.StatusUnauthorized, "unauthenticated", "")
		if strings.Contains(c.HTML(), secret) {
			t.Fatal("the secret is still on the page after the revocation")
		}

		c.Click(`header .logout button`)
		login(c, w.operator("acme", operators.Support))
		c.Screenshot("support overview")
		if nav := c.Text("nav"); strings.Contains(nav, "Developers") {
			t.Fatalf("support's navigation: %q", nav)
		}
		c.Open("/console/p/acme/subscriptions/" + w.ids["subscription"])
		if strings.Contains(c.HTML(), `id="credentials"`) {
			t.Fatal("support sees the credentials link")
		}
		c.Open("/console/p/acme/developers")
		c.Screenshot("support refused")
		if got := c.Text("#error"); !strings.Contains(got, "cannot open this page") {
			t.Fatalf("support on developers: %q", got)
		}
	})
}
