package console_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"cellgate/internal/apitest"
	"cellgate/internal/operators"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// chromiumPath is where the page tests find the browser (.ci/run installs
// it with apt).
const chromiumPath = "/usr/bin/chromium"

// artifacts is the directory that keeps the screenshots of a browser
// test: under $CELLGATE_ARTIFACTS when set (CI keeps it), else under the
// test's temporary directory.
func artifacts(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "screenshots")
	if base := os.Getenv("CELLGATE_ARTIFACTS"); base != "" {
		dir = filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "_"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chrome is a headless Chromium tab with the flags this machine needs, a
// fresh profile, and every confirm() dialog accepted.
type chrome struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	shot int
}

func newChrome(t *testing.T, base string) *chrome {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CELLGATE_SKIP_BROWSER") != "" {
			t.Skip("CELLGATE_SKIP_BROWSER is set and there is no " + chromiumPath)
		}
		t.Fatalf("the browser tests need Chromium at %s (apt-get install -y chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// A whole journey takes 10-70 s; the bound only stops a hung browser.
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	c := &chrome{t: t, ctx: ctx, base: base, dir: artifacts(t)}
	c.do(chromedp.Navigate("about:blank"))
	dialogs := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	t.Logf("screenshots in %s", c.dir)
	return c
}

func (c *chrome) do(steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		c.screenshot("failure")
		c.t.Fatalf("browser: %v", err)
	}
}

// open loads a console path and waits for its main element.
func (c *chrome) open(path string) {
	c.t.Helper()
	c.do(chromedp.Navigate(c.base+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// click clicks and waits for the page it loads.
func (c *chrome) click(sel string) {
	c.t.Helper()
	if _, err := chromedp.Run(c.ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		c.screenshot("failure")
		c.t.Fatalf("browser: click %s: %v", sel, err)
	}
	c.do(chromedp.WaitReady(chromedp.CSS("main")))
}

func (c *chrome) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.screenshot("failure")
		c.t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return s
}

func (c *chrome) html() string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		c.t.Fatalf("browser: %v", err)
	}
	return s
}

// screenshot saves the page as NN-name.png in the artifacts.
func (c *chrome) screenshot(name string) {
	buf, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Logf("screenshot %s: %v", name, err)
		return
	}
	c.shot++
	_ = os.WriteFile(filepath.Join(c.dir, filepath.Base(strings.ReplaceAll(
		strings.Join([]string{two(c.shot), name}, "-"), " ", "-"))+".png"), buf, 0o644)
}

func two(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func (c *chrome) login(email string) {
	c.t.Helper()
	c.open("/console/login")
	c.do(chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password))
	c.click("#login")
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
		c := newChrome(t, w.Server.URL)
		owner := w.operator("acme", operators.Owner)

		c.open("/console/p/acme/users")
		if !strings.Contains(c.html(), `id="login"`) {
			t.Fatal("an anonymous visitor is not sent to the login page")
		}
		c.login(owner)
		c.screenshot("after login")
		if !strings.Contains(c.text("nav"), "Developers") {
			t.Fatalf("owner's navigation: %q", c.text("nav"))
		}

		c.open("/console/p/acme/users")
		c.do(chromedp.SendKeys(chromedp.ID("q"), w.user.phone))
		c.click("#search")
		c.screenshot("user found by phone")
		if got := c.text("#users"); !strings.Contains(got, w.user.email) {
			t.Fatalf("search by %s: %q", w.user.phone, got)
		}
		c.click("#users a")
		c.click("#subscriptions a")
		c.screenshot("subscription")
		if got := c.text("#sub-status"); got != "active" {
			t.Fatalf("subscription status %q", got)
		}
		if used, limit := c.text("#usage-data .used"), c.text("#usage-data .limit"); used != "250.0 MB" || limit != "1.00 GB" {
			t.Fatalf("usage chart reads %q of %q", used, limit)
		}
		if n, err := chromedp.Run(c.ctx, chromedp.Nodes(chromedp.CSS("#usage-data svg rect.day"))); err != nil || len(n) != 1 {
			t.Fatalf("usage chart bars: %d (%v)", len(n), err)
		}
		c.click("#cancel")
		c.screenshot("canceled")
		if !strings.Contains(c.html(), `id="resume"`) {
			t.Fatal("no resume button after cancel")
		}
		var sub struct{ CanceledAt *string }
		w.Get(w.P("/subscriptions/" + w.ids["subscription"])).Expect(http.StatusOK).Decode(&sub)
		if sub.CanceledAt == nil {
			t.Fatal("the API does not see the cancellation")
		}

		c.open("/console/p/acme/invoices/" + w.ids["invoice"])
		c.click("#credit")
		c.screenshot("credit note")
		if got := c.text("#credit-notes"); !strings.Contains(got, "issued") {
			t.Fatalf("credit notes: %q", got)
		}

		c.open("/console/p/acme/developers/webhooks/" + w.ids["endpoint"])
		c.click("button.retry")
		c.screenshot("delivery retried")
		var d struct{ Status string }
		w.Get(w.P("/webhookEndpoints/" + w.ids["endpoint"] + "/deliveries/" + w.ids["delivery"])).Expect(http.StatusOK).Decode(&d)
		if w.count(`SELECT COUNT(*) FROM events WHERE type = 'com.gigs.user.created'`) == 0 || d.Status == "" {
			t.Fatalf("delivery after retry: %+v", d)
		}

		c.open("/console/p/acme/developers")
		c.do(chromedp.SendKeys(chromedp.ID("key-name"), "browser key"))
		c.click("#create-key")
		c.screenshot("key created")
		secret := strings.TrimSpace(c.text("#new-key-secret"))
		if !regexp.MustCompile(`^cgk_[0-9A-Za-z]{32}$`).MatchString(secret) {
			t.Fatalf("new key %q", secret)
		}
		w.Do(apitest.Request{Method: http.MethodGet, Path: w.P("/users"), Key: secret}).Expect(http.StatusOK)
		id := regexp.MustCompile(`data-key="(apk_[0-9A-Za-z]+)"><td>browser key`).FindStringSubmatch(c.html())
		if id == nil {
			t.Fatal("no row for the new key")
		}
		c.click(`tr[data-key="` + id[1] + `"] button.revoke`)
		c.screenshot("key revoked")
		w.Do(apitest.Request{Method: http.MethodGet, Path: w.P("/users"), Key: secret}).ExpectError(http.StatusUnauthorized, "unauthenticated", "")
		if strings.Contains(c.html(), secret) {
			t.Fatal("the secret is still on the page after the revocation")
		}

		c.click(`header .logout button`)
		c.login(w.operator("acme", operators.Support))
		c.screenshot("support overview")
		if nav := c.text("nav"); strings.Contains(nav, "Developers") {
			t.Fatalf("support's navigation: %q", nav)
		}
		c.open("/console/p/acme/subscriptions/" + w.ids["subscription"])
		if strings.Contains(c.html(), `id="credentials"`) {
			t.Fatal("support sees the credentials link")
		}
		c.open("/console/p/acme/developers")
		c.screenshot("support refused")
		if got := c.text("#error"); !strings.Contains(got, "cannot open this page") {
			t.Fatalf("support on developers: %q", got)
		}
	})
}
