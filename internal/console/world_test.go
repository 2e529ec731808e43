package console_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cellgate/internal/api"
	"cellgate/internal/apitest"
	"cellgate/internal/operators"
	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/webhooks"
)

const password = "correct horse battery staple"

// lockedBuffer is the server's log, read by the test while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// world is a billed test project "acme" served with its console: a user
// with an address and an active subscription whose creation invoice is
// paid, and a webhook endpoint whose one delivery failed. Another project,
// "other", exists beside it.
type world struct {
	*apitest.Env
	srv  *api.Server
	log  *lockedBuffer
	ids  map[string]string // path parameter → an id of acme that exists
	user struct{ email, name, phone, iccid string }
}

var emailSeq atomic.Int64

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{log: &lockedBuffer{}, ids: map[string]string{}}
	logger := slog.New(slog.NewJSONHandler(w.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	plat := platform.New(db, logger, nil)
	plat.Webhooks.Config = webhooks.Config{Schedule: []time.Duration{0}, PollInterval: 20 * time.Millisecond, AllowPrivate: true}
	w.srv = api.New(api.Config{DB: db, Logger: logger, Version: "test", Platform: plat})
	ts := httptest.NewServer(w.srv.Handler())
	w.Env = &apitest.Env{T: t, DB: db, Server: ts}
	w.Project, w.Key = "acme", w.NewProject("acme", projects.TypeTest)
	w.NewProject("other", projects.TypeTest)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); plat.Webhooks.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; ts.Close() })

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	t.Cleanup(failing.Close)
	w.Post("/testing/projects/acme/clock/advance", map[string]any{"to": "2030-01-07T09:00:00Z"}).Expect(http.StatusOK)
	w.Patch(w.P(""), map[string]any{"billing": map[string]any{"currency": "USD"}}).Expect(http.StatusOK)
	w.ids["endpoint"] = w.Post(w.P("/webhookEndpoints"), map[string]any{"url": failing.URL, "enabledEvents": []string{"user.created"}}).Expect(http.StatusCreated).ID()
	n := emailSeq.Add(1)
	w.user.email, w.user.name = fmt.Sprintf("elaine%d@example.com", n), "Elaine Benes"
	w.ids["user"] = w.Post(w.P("/users"), map[string]any{"email": w.user.email, "fullName": w.user.name}).Expect(http.StatusCreated).ID()
	addr := w.Post(w.P("/users/"+w.ids["user"]+"/addresses"), map[string]any{
		"line1": "129 West 81st Street", "city": "New York City", "state": "NY", "postalCode": "10024", "country": "US"}).Expect(http.StatusCreated).ID()
	w.ids["plan"] = w.Post(w.P("/plans"), map[string]any{
		"name": "Monthly", "provider": "test", "simTypes": []string{"eSIM"},
		"price":      map[string]any{"amount": 1000, "currency": "USD"},
		"allowances": map[string]any{"dataBytes": 1000000000, "voiceSeconds": nil, "smsMessages": nil},
		"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"},
	}).Expect(http.StatusCreated).ID()
	w.ids["subscription"] = w.Post(w.P("/subscriptions"), map[string]any{"plan": w.ids["plan"], "user": w.ids["user"], "sim": "auto", "userAddress": addr}).Expect(http.StatusCreated).ID()
	var invs struct{ Items []struct{ ID string } }
	w.Get(w.P("/invoices?subscription=" + w.ids["subscription"])).Expect(http.StatusOK).Decode(&invs)
	w.ids["invoice"] = invs.Items[0].ID
	w.Post(w.P("/invoices/"+w.ids["invoice"]+"/pay"), nil).Expect(http.StatusOK)
	w.Post("/testing/projects/acme/clock/advance", map[string]any{"by": "1h"}).Expect(http.StatusOK)
	var sub struct {
		Status      string
		PhoneNumber string
		SIM         struct{ ID, ICCID string }
	}
	w.Get(w.P("/subscriptions/" + w.ids["subscription"])).Expect(http.StatusOK).Decode(&sub)
	if sub.Status != "active" || sub.PhoneNumber == "" {
		t.Fatalf("world: subscription %+v is not active with a number", sub)
	}
	w.user.phone, w.user.iccid, w.ids["sim"] = sub.PhoneNumber, sub.SIM.ICCID, sub.SIM.ID
	// A day of use: a quarter of the data allowance, two minutes, 3 SMS.
	w.Post("/testing/projects/acme/subscriptions/"+w.ids["subscription"]+"/usage", map[string]any{"data": 250000000, "voice": 120, "sms": 3}).Expect(http.StatusOK)
	w.ids["apiKey"] = w.Post(w.P("/apiKeys"), map[string]any{"name": "spare"}).Expect(http.StatusCreated).ID()
	w.payments()
	var evs struct{ Items []struct{ ID string } }
	w.Get(w.P("/events?limit=1")).Expect(http.StatusOK).Decode(&evs)
	w.ids["event"], w.ids["project"] = evs.Items[0].ID, "acme"
	deadline := time.Now().Add(10 * time.Second)
	for w.ids["delivery"] == "" {
		var ds struct{ Items []struct{ ID, Status string } }
		w.Get(w.P("/webhookEndpoints/" + w.ids["endpoint"] + "/deliveries")).Expect(http.StatusOK).Decode(&ds)
		if len(ds.Items) == 1 && ds.Items[0].Status == "failed" {
			w.ids["delivery"] = ds.Items[0].ID
		} else if time.Now().After(deadline) {
			t.Fatalf("world: no failed delivery: %+v", ds)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return w
}

// payments gives the world a top-up paid by card through the simulator
// (its payment), and a voucher.
func (w *world) payments() {
	w.Patch(w.P("/paymentSettings"), map[string]any{"provider": "simulator"}).Expect(http.StatusOK)
	w.Patch(w.P(""), map[string]any{"billing": map[string]any{"paymentBehavior": "automatic"}}).Expect(http.StatusOK)
	tok := w.Post("/testing/projects/acme/paymentTokens", map[string]any{"number": "4242424242424242"}).Expect(http.StatusCreated).ID()
	w.Post(w.P("/paymentMethods"), map[string]any{"user": w.ids["user"], "token": tok}).Expect(http.StatusCreated)
	w.ids["addon"] = w.Post(w.P("/addons"), map[string]any{
		"name": "1 GB top-up", "provider": "test", "plans": []string{w.ids["plan"]},
		"price":      map[string]any{"amount": 500, "currency": "USD"},
		"allowances": map[string]any{"dataBytes": 1_000_000_000, "voiceSeconds": 0, "smsMessages": 0},
		"validity":   map[string]any{"unit": "day", "value": 7},
	}).Expect(http.StatusCreated).ID()
	w.Post(w.P("/subscriptionAddons"), map[string]any{"subscription": w.ids["subscription"], "addon": w.ids["addon"]}).Expect(http.StatusCreated)
	var pays struct{ Items []struct{ ID, Status string } }
	w.Get(w.P("/payments?user=" + w.ids["user"])).Expect(http.StatusOK).Decode(&pays)
	if len(pays.Items) != 1 || pays.Items[0].Status != "succeeded" {
		w.T.Fatalf("world: the top-up's payment = %+v", pays.Items)
	}
	w.ids["payment"] = pays.Items[0].ID
	w.ids["voucher"] = w.Post(w.P("/vouchers"), map[string]any{"name": "Welcome", "priceDiscountPercentage": 10,
		"recurrence": map[string]any{"type": "once"}, "codes": []string{"WELCOME"}}).Expect(http.StatusCreated).ID()
}

// operator makes an operator with role in project and returns its email.
func (w *world) operator(project string, role operators.Role) string {
	w.T.Helper()
	email := fmt.Sprintf("%s%d@operators.example", role, emailSeq.Add(1))
	err := w.DB.InTx(context.Background(), func(tx *store.Tx) error {
		op, err := operators.Create(context.Background(), tx, email, password, time.Now())
		if err != nil {
			return err
		}
		return operators.Grant(context.Background(), tx, op.ID, project, role, time.Now())
	})
	if err != nil {
		w.T.Fatal(err)
	}
	return email
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	w    *world
	c    *http.Client
	csrf string
}

func (w *world) anonymous() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in as an operator of the world (role in project) and returns
// its browser.
func (w *world) login(project string, role operators.Role) *browser {
	w.T.Helper()
	b := w.anonymous()
	b.loginAs(w.operator(project, role), password, http.StatusSeeOther)
	return b
}

func (b *browser) loginAs(email, pw string, want int) page {
	b.w.T.Helper()
	form := b.get("/console/login").expect(http.StatusOK)
	p := b.postRaw("/console/login", url.Values{"csrf": {form.csrf()}, "email": {email}, "password": {pw}})
	if p.status != want {
		b.w.T.Fatalf("login %s: status %d, want %d: %s", email, p.status, want, p.body)
	}
	if want == http.StatusSeeOther {
		b.csrf = b.get("/console/").follow().expect(http.StatusOK).csrf()
	}
	return p
}

// page is one answer of the console.
type page struct {
	t        testing.TB
	b        *browser
	status   int
	location string
	body     string
}

func (p page) expect(status int) page {
	p.t.Helper()
	if p.status != status {
		p.t.Fatalf("status %d, want %d: %s", p.status, status, p.body)
	}
	return p
}

func (p page) csrf() string {
	p.t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		p.t.Fatalf("no CSRF field on the page: %s", p.body)
	}
	return m[1]
}

// follow goes where a redirect says.
func (p page) follow() page {
	p.t.Helper()
	if p.status != http.StatusSeeOther {
		p.t.Fatalf("status %d, want a redirect: %s", p.status, p.body)
	}
	return p.b.get(p.location)
}

func (b *browser) do(req *http.Request) page {
	b.w.T.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.w.T.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if u, err := url.Parse(loc); err == nil && u.IsAbs() {
		loc = u.RequestURI()
	}
	return page{t: b.w.T, b: b, status: resp.StatusCode, location: loc, body: string(body)}
}

func (b *browser) get(path string) page {
	b.w.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.w.Server.URL+path, nil)
	return b.do(req)
}

// post sends a form with the session's CSRF token.
func (b *browser) post(path string, form url.Values) page {
	b.w.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.postRaw(path, form)
}

func (b *browser) postRaw(path string, form url.Values) page {
	b.w.T.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.w.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// path fills a route's parameters with the world's ids.
func (w *world) path(pattern string) string {
	w.T.Helper()
	parts := strings.Split(strings.TrimSuffix(pattern, "{$}"), "/")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, "{"); ok {
			id, known := w.ids[strings.TrimSuffix(name, "}")]
			if !known {
				w.T.Fatalf("%s: no id for %s in the world", pattern, p)
			}
			parts[i] = id
		}
	}
	return strings.Join(parts, "/")
}

// count is one number from the database.
func (w *world) count(query string, args ...any) int {
	w.T.Helper()
	var n int
	if err := w.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		w.T.Fatal(err)
	}
	return n
}
