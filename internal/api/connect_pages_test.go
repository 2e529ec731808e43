package api_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// browser is an HTTP client with cookies that does not follow redirects,
// so each step of a page flow is seen.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
	csrf string
}

func newBrowser(w *world) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: w.t, base: w.Server.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page is one answer of the pages.
type page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p := page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), Location: resp.Header.Get("Location")}
	if m := csrfField.FindStringSubmatch(p.Body); m != nil {
		b.csrf = m[1]
	}
	checkLabels(b.t, req.URL.Path, p.Body)
	return p
}

var (
	formField = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	fieldID   = regexp.MustCompile(`\bid="([^"]+)"`)
)

// checkLabels: every visible form field of a page has an id and a label
// for it (accessibility: every field labelled).
func checkLabels(t testing.TB, path, body string) {
	t.Helper()
	for _, f := range formField.FindAllString(body, -1) {
		if strings.Contains(f, `type="hidden"`) {
			continue
		}
		m := fieldID.FindStringSubmatch(f)
		if m == nil || !strings.Contains(body, `for="`+m[1]+`"`) {
			t.Errorf("%s: form field without a label: %s", path, f)
		}
	}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// post sends a form with the last page's CSRF token.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// open follows a session url into its pages and returns the first page's
// path.
func (b *browser) open(link string) string {
	b.t.Helper()
	u, _ := url.Parse(link)
	p := b.get(u.RequestURI())
	if p.Status != http.StatusSeeOther || strings.Contains(p.Location, "token") {
		b.t.Fatalf("entry answered %d to %q: %s", p.Status, p.Location, p.Body)
	}
	return p.Location
}

func expectPage(t testing.TB, p page, status int, contains ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d: %s", p.Status, status, p.Body)
	}
	for _, c := range contains {
		if !strings.Contains(p.Body, c) {
			t.Fatalf("page lacks %q: %s", c, p.Body)
		}
	}
}

// billedShop makes w a project that bills in USD and collects through the
// payment simulator, with a plan that requires an address.
func billedShop(w *world) string {
	w.Patch(w.P(""), map[string]any{"billing": map[string]any{"currency": "USD", "paymentBehavior": "automatic"}}).Expect(http.StatusOK)
	w.Patch(w.P("/paymentSettings"), map[string]any{"provider": "simulator"}).Expect(http.StatusOK)
	return w.plan(map[string]any{"requirements": map[string]any{"address": "present"}})
}

// TestConnectCheckoutBuysAPlanWithATestCard: a new user opens a checkout
// link, gives the address the plan requires, sees the quote, pays with a
// test card; the subscription exists with its first invoice paid, the eSIM
// page shows the credentials (no-store), and after the clock moves the
// subscription is active.
func TestConnectCheckoutBuysAPlanWithATestCard(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := billedShop(w)
		cs := w.connectSession(map[string]any{"userDetails": map[string]any{"email": "kramer@example.com", "fullName": "Cosmo Kramer"},
			"callbackUrl": "https://brand.example/done", "intent": map[string]any{"type": "checkoutNewSubscription", "checkoutNewSubscription": map[string]any{"plan": plan}}})
		b := newBrowser(w)
		start := b.open(*cs.URL)
		if start != "/connect/s/"+cs.ID {
			t.Fatalf("entry went to %s", start)
		}
		p := b.get(start)
		expectPage(t, p, http.StatusOK, `for="line1"`, `name="step" value="details"`)
		if p.Header.Get("Cache-Control") != "private, no-store" || !strings.Contains(p.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("headers %v", p.Header)
		}
		// A missing field is named, and nothing is made.
		p = b.post(start+"/checkout", url.Values{"step": {"details"}, "line1": {"129 W 81st St"}})
		expectPage(t, p, http.StatusUnprocessableEntity, "This field is required.")
		p = b.post(start+"/checkout", url.Values{"step": {"details"}, "line1": {"129 W 81st St"}, "city": {"New York"}, "state": {"ny"}, "postalCode": {"10024"}, "country": {"us"}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("details: %d %s", p.Status, p.Body)
		}
		p = b.get(start)
		expectPage(t, p, http.StatusOK, `id="total"`, `name="step" value="pay"`, "4242 4242 4242 4242")
		p = b.post(start+"/checkout", url.Values{"step": {"pay"}, "number": {"new"}, "card": {"4242 4242 4242 4242"}})
		if p.Status != http.StatusSeeOther || p.Location != start+"/done" {
			t.Fatalf("pay: %d %s %s", p.Status, p.Location, p.Body)
		}
		p = b.get(start + "/done")
		expectPage(t, p, http.StatusOK, "You are all set", "(paid)", `href="https://brand.example/done"`)
		var got connectSession
		w.Get(w.P("/connectSessions/" + cs.ID)).Expect(http.StatusOK).Decode(&got)
		if got.Status != "completed" || got.User == nil {
			t.Fatalf("session after checkout %+v", got)
		}
		var subs struct{ Items []sub }
		w.Get(w.P("/subscriptions?user=" + *got.User)).Expect(http.StatusOK).Decode(&subs)
		if len(subs.Items) != 1 {
			t.Fatalf("%d subscriptions", len(subs.Items))
		}
		if inv := w.firstInvoice(subs.Items[0].ID); inv.Status != "paid" {
			t.Errorf("first invoice %s", inv.Status)
		}
		w.advance(10 * time.Minute)
		if s := w.sub(subs.Items[0].ID); s.Status != "active" {
			t.Errorf("subscription %s after the clock moved, want active", s.Status)
		}
		p = b.get(start + "/esim/" + subs.Items[0].ID)
		expectPage(t, p, http.StatusOK, `id="activation-code"`, "/qr/")
		if p.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("eSIM page Cache-Control %q", p.Header.Get("Cache-Control"))
		}
		// The link was single-use: opening it again says so and offers the way back.
		u, _ := url.Parse(*cs.URL)
		expectPage(t, newBrowser(w).get(u.RequestURI()), http.StatusGone, "can no longer be used", `href="https://brand.example/done"`)
	})
}

// TestConnectFormsNeedTheSessionCSRFToken: a form without the browser
// session's token, or without the session cookie, changes nothing.
func TestConnectFormsNeedTheSessionCSRFToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		plan := w.plan(nil)
		s := w.subscribe(plan, user, "auto", nil)
		w.advance(10 * time.Minute)
		cs := w.connectSession(map[string]any{"user": user, "intent": map[string]any{"type": "cancelSubscription", "cancelSubscription": map[string]any{"subscription": s.ID}}})
		b := newBrowser(w)
		start := b.open(*cs.URL)
		expectPage(t, b.get(start), http.StatusOK, `id="confirm"`)
		before := takeSnapshot(t, db)
		expectPage(t, b.post(start+"/act", url.Values{"csrf": {"forged"}}), http.StatusForbidden)
		expectPage(t, newBrowser(w).post(start+"/act", url.Values{"csrf": {b.csrf}}), http.StatusGone)
		if d := before.diff(takeSnapshot(t, db)); len(d) > 0 {
			t.Errorf("refused forms changed the database: %v", d)
		}
		// With the token, the user cancels and sees when service ends.
		expectPage(t, b.post(start+"/act", url.Values{}), http.StatusOK, `id="outcome"`)
		if got := w.sub(s.ID); got.CanceledAt == nil {
			t.Errorf("subscription not canceled")
		}
	})
}

var emailCode = regexp.MustCompile(`code is (\d{6})`)

// TestConnectWithoutUserSignsInWithAnEmailedCode: a checkout session with
// no user asks for an email, sends a one-time code through the outbox, and
// the right code signs in; a wrong one does not.
func TestConnectWithoutUserSignsInWithAnEmailedCode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := billedShop(w)
		cs := w.connectSession(map[string]any{"intent": map[string]any{"type": "checkoutNewSubscription", "checkoutNewSubscription": map[string]any{"plan": plan}}})
		b := newBrowser(w)
		start := b.open(*cs.URL)
		expectPage(t, b.get(start), http.StatusOK, `for="email"`)
		expectPage(t, b.post(start+"/login", url.Values{"email": {"not-an-email"}}), http.StatusUnprocessableEntity, "valid email")
		if p := b.post(start+"/login", url.Values{"email": {"elaine@example.com"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("login %d %s", p.Status, p.Body)
		}
		expectPage(t, b.get(start), http.StatusOK, `for="code"`)
		var mails struct {
			Items []struct{ To, Text string }
		}
		w.Get("/testing/projects/" + w.Project + "/emails").Expect(http.StatusOK).Decode(&mails)
		if len(mails.Items) != 1 || mails.Items[0].To != "elaine@example.com" {
			t.Fatalf("emails %+v", mails.Items)
		}
		code := emailCode.FindStringSubmatch(mails.Items[0].Text)[1]
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		expectPage(t, b.post(start+"/code", url.Values{"code": {wrong}}), http.StatusUnprocessableEntity, "not correct")
		if p := b.post(start+"/code", url.Values{"code": {code}}); p.Status != http.StatusSeeOther {
			t.Fatalf("code %d %s", p.Status, p.Body)
		}
		expectPage(t, b.get(start), http.StatusOK, `name="step" value="details"`)
	})
}
