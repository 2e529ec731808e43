package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/operators"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

func TestConsoleFindsUsersByEmailNamePhoneAndICCID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Support)
		w.Post(w.P("/users"), map[string]any{"email": "kramer@example.com", "fullName": "Cosmo Kramer"}).Expect(http.StatusCreated)
		for _, q := range []string{strings.ToUpper(w.user.email), "elaine", "ELAINE BEN", w.user.phone, w.user.iccid} {
			p := b.get("/console/p/acme/users?q=" + url.QueryEscape(q)).expect(http.StatusOK)
			if !strings.Contains(p.body, w.ids["user"]) || strings.Contains(p.body, "kramer@") {
				t.Errorf("search %q: %s", q, p.body)
			}
		}
		for _, q := range []string{"nobody@example.com", "+15550000000", "89000000000000000000", "Newman"} {
			if p := b.get("/console/p/acme/users?q=" + url.QueryEscape(q)).expect(http.StatusOK); strings.Contains(p.body, w.ids["user"]) {
				t.Errorf("search %q finds the user", q)
			}
		}
		// The user's page: addresses, subscriptions, invoices and the
		// events about the user and its subscriptions.
		p := b.get("/console/p/acme/users/" + w.ids["user"]).expect(http.StatusOK)
		for _, want := range []string{"129 West 81st Street", w.ids["subscription"], w.ids["invoice"], "subscription.activated", "user.created"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("user page lacks %q", want)
			}
		}
	})
}

// eventsAbout reads the events about a resource through the API.
func eventsAbout(w *world, id string) []struct {
	Type  string
	Actor map[string]string
} {
	var page struct {
		Items []struct {
			Type  string
			Actor map[string]string
		}
	}
	w.Get(w.P("/events?resource=" + id)).Expect(http.StatusOK).Decode(&page)
	return page.Items
}

// TestConsoleActionsFollowTheAPIRules: cancel, resume and end call the
// lifecycle as the API does (a second cancel is the API's conflict), and
// their events name the operator as a member.
func TestConsoleActionsFollowTheAPIRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Support)
		sub := "/console/p/acme/subscriptions/" + w.ids["subscription"]
		p := b.post(sub+"/cancel", url.Values{"userReason": {"tooExpensive"}}).follow().expect(http.StatusOK)
		if !strings.Contains(p.body, "tooExpensive") || !strings.Contains(p.body, `id="resume"`) || strings.Contains(p.body, `id="cancel"`) {
			t.Fatalf("after cancel: %s", p.body)
		}
		var api map[string]any
		w.Get(w.P("/subscriptions/" + w.ids["subscription"])).Expect(http.StatusOK).Decode(&api)
		if api["canceledAt"] == nil {
			t.Fatalf("the API does not see the cancellation: %v", api)
		}
		if p := b.post(sub+"/cancel", nil); p.status != http.StatusConflict {
			t.Fatalf("second cancel: %d, want the API's 409", p.status)
		}
		if p := b.post(sub+"/cancel", url.Values{"userReason": {"bogus"}}); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad reason: %d", p.status)
		}
		b.post(sub+"/resume", nil).follow().expect(http.StatusOK)
		b.post(sub+"/end", nil).follow().expect(http.StatusOK)
		w.Get(w.P("/subscriptions/" + w.ids["subscription"])).Expect(http.StatusOK).Decode(&api)
		if api["status"] != "ended" {
			t.Fatalf("after end: %v", api["status"])
		}
		var member string
		for _, ev := range eventsAbout(w, w.ids["subscription"]) {
			switch ev.Type {
			case "com.gigs.subscription.canceled", "com.gigs.subscription.resumed", "com.gigs.subscription.ended":
				if ev.Actor["type"] != "member" || !strings.HasPrefix(ev.Actor["member"], "mbr_") {
					t.Errorf("%s actor %v", ev.Type, ev.Actor)
				}
				member = ev.Actor["member"]
			}
		}
		if member == "" {
			t.Fatal("no lifecycle event of the console's actions")
		}
	})
}

func TestConsoleIssuesPartialAndFullCreditNotes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Support)
		inv := "/console/p/acme/invoices/" + w.ids["invoice"]
		page := b.get(inv).expect(http.StatusOK)
		line := regexp.MustCompile(`<option value="(lin_[^"]+)"`).FindStringSubmatch(page.body)
		if line == nil {
			t.Fatalf("no line to credit: %s", page.body)
		}
		b.post(inv+"/creditNotes", url.Values{"lineItem": {line[1]}, "amount": {"250"}}).follow().expect(http.StatusOK)
		b.post(inv+"/creditNotes", nil).follow().expect(http.StatusOK)
		if p := b.post(inv+"/creditNotes", nil); p.status != http.StatusConflict {
			t.Fatalf("a third credit note on a fully credited invoice: %d", p.status)
		}
		if p := b.post(inv+"/creditNotes", url.Values{"lineItem": {line[1]}, "amount": {"-1"}}); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("negative amount: %d", p.status)
		}
		var notes struct {
			Items []struct{ Total struct{ Amount int64 } }
		}
		w.Get(w.P("/creditNotes?invoice=" + w.ids["invoice"])).Expect(http.StatusOK).Decode(&notes)
		if len(notes.Items) != 2 || notes.Items[1].Total.Amount != 250 {
			t.Fatalf("credit notes = %+v", notes.Items)
		}
	})
}

func TestConsoleRetriesAFailedDelivery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Developer)
		ep := "/console/p/acme/developers/webhooks/" + w.ids["endpoint"]
		if p := b.get(ep).expect(http.StatusOK); !strings.Contains(p.body, `class="retry"`) || !strings.Contains(p.body, "HTTP 500") {
			t.Fatalf("endpoint page: %s", p.body)
		}
		b.post(ep+"/deliveries/"+w.ids["delivery"]+"/retry", nil).follow().expect(http.StatusOK)
		// The retry made it due again: the worker sends it a second time.
		waitFailed(t, w, w.ids["endpoint"], w.ids["delivery"])
		var d struct{ Attempts []any }
		w.Get(w.P("/webhookEndpoints/" + w.ids["endpoint"] + "/deliveries/" + w.ids["delivery"])).Expect(http.StatusOK).Decode(&d)
		if len(d.Attempts) != 2 {
			t.Fatalf("attempts after the retry: %d, want 2", len(d.Attempts))
		}
		if p := b.post(ep+"/deliveries/msg_0000000000000000000000/retry", nil); p.status != http.StatusNotFound {
			t.Fatalf("unknown delivery: %d", p.status)
		}
		// Recover: the failed deliveries of the last hours are due again.
		b.post(ep+"/recover", url.Values{"hours": {"24"}}).follow().expect(http.StatusOK)
		waitFailed(t, w, w.ids["endpoint"], w.ids["delivery"])
		if w.count(`SELECT attempts FROM webhook_deliveries WHERE id = ?`, w.ids["delivery"]) != 3 {
			t.Fatal("the recovered delivery was not sent again")
		}
		if p := b.post(ep+"/recover", url.Values{"hours": {"0"}}); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("recover 0 hours: %d", p.status)
		}
	})
}

// TestConsoleAPIKeyShownOnceAndRevokedAtOnce: a key made in the console
// works on the API at once; revoked in the console, it is refused at once.
func TestConsoleAPIKeyShownOnceAndRevokedAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Owner)
		p := b.post("/console/p/acme/developers/apiKeys", url.Values{"name": {"billing job"}}).expect(http.StatusOK)
		m := regexp.MustCompile(`id="new-key-secret">(cgk_[0-9A-Za-z]+)<`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no secret shown: %s", p.body)
		}
		secret := m[1]
		w.Do(apitest.Request{Method: http.MethodGet, Path: w.P("/users"), Key: secret}).Expect(http.StatusOK)
		list := b.get("/console/p/acme/developers").expect(http.StatusOK)
		if strings.Contains(list.body, secret) || !strings.Contains(list.body, secret[:10]+"…") {
			t.Fatalf("the list shows the secret or not its prefix")
		}
		id := regexp.MustCompile(`data-key="(apk_[^"]+)"><td>billing job`).FindStringSubmatch(list.body)
		if id == nil {
			t.Fatalf("no row for the key: %s", list.body)
		}
		b.post("/console/p/acme/developers/apiKeys/"+id[1]+"/revoke", nil).follow().expect(http.StatusOK)
		w.Do(apitest.Request{Method: http.MethodGet, Path: w.P("/users"), Key: secret}).ExpectError(http.StatusUnauthorized, "unauthenticated", "")
		evs := eventsAbout(w, id[1])
		if len(evs) != 2 || evs[0].Actor["type"] != "member" || evs[1].Type != "com.gigs.apiKey.created" {
			t.Fatalf("events = %+v", evs)
		}
	})
}

// TestSupportSeesNoKeysOrCredentials: the navigation, the subscription page
// and the overview hide them; the pages refuse (the security test covers
// every route).
func TestSupportSeesNoKeysOrCredentials(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		sub := "/console/p/acme/subscriptions/" + w.ids["subscription"]
		support, owner := w.login("acme", operators.Support), w.login("acme", operators.Owner)
		for _, path := range []string{"/console/p/acme/", sub} {
			if p := support.get(path).expect(http.StatusOK); strings.Contains(p.body, "/developers") || strings.Contains(p.body, "credentials") {
				t.Errorf("support sees a way to credentials on %s", path)
			}
		}
		p := owner.get(sub).expect(http.StatusOK)
		link := regexp.MustCompile(`href="(/console/p/acme/sims/[^"]+/credentials)" id="credentials" data-confirm=`).FindStringSubmatch(p.body)
		if link == nil || !strings.Contains(p.body, "/developers") {
			t.Fatalf("owner lacks the credentials link or developers: %s", p.body)
		}
		if c := owner.get(link[1]).expect(http.StatusOK); !strings.Contains(c.body, "LPA:") {
			t.Fatalf("credentials page: %s", c.body)
		}
		support.get(link[1]).expect(http.StatusForbidden)
	})
}

// TestConsoleListsPageByKeyset: the users list pages 25 at a time with
// older/newer links, without overlap, filters kept.
func TestConsoleListsPageByKeyset(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := range 30 {
			w.Post(w.P("/users"), map[string]any{"email": fmt.Sprintf("page%d@example.com", i), "fullName": fmt.Sprintf("Pager %02d", i)}).Expect(http.StatusCreated)
		}
		b := w.login("acme", operators.Support)
		userRow := regexp.MustCompile(`/users/(usr_[0-9A-Za-z]+)"`)
		older := regexp.MustCompile(`href="([^"]+)" rel="next"`)
		seen := map[string]bool{}
		first := b.get("/console/p/acme/users?q=pager").expect(http.StatusOK)
		next := older.FindStringSubmatch(first.body)
		if next == nil {
			t.Fatalf("no older link: %s", first.body)
		}
		second := b.get(strings.ReplaceAll(next[1], "&amp;", "&")).expect(http.StatusOK)
		for _, p := range []page{first, second} {
			for _, m := range userRow.FindAllStringSubmatch(p.body, -1) {
				if seen[m[1]] {
					t.Fatalf("user %s on two pages", m[1])
				}
				seen[m[1]] = true
			}
		}
		if len(seen) != 30 || older.MatchString(second.body) {
			t.Fatalf("%d users over two pages", len(seen))
		}
		b.get("/console/p/acme/subscriptions?status=bogus").expect(http.StatusUnprocessableEntity)
		b.get("/console/p/acme/users?after=x&before=y").expect(http.StatusUnprocessableEntity)
	})
}

func TestOverviewNumbersLinkToTheirLists(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Developer)
		p := b.get("/console/p/acme/").expect(http.StatusOK)
		var paid struct {
			Items []struct{ Total struct{ Amount int64 } }
		}
		w.Get(w.P("/invoices?status=paid")).Expect(http.StatusOK).Decode(&paid)
		var revenue int64
		for _, inv := range paid.Items {
			revenue += inv.Total.Amount
		}
		for _, want := range []string{
			`href="/console/p/acme/subscriptions?status=active"><span class="value">1</span>`,
			fmt.Sprintf(`href="/console/p/acme/invoices?status=paid"><span class="value">%s</span>`, usd(revenue)),
			`href="/console/p/acme/developers"><span class="value">1</span><span class="label">failed webhook deliveries`,
		} {
			if !strings.Contains(p.body, want) {
				t.Errorf("overview lacks %s in %s", want, p.body)
			}
		}
		active := b.get("/console/p/acme/subscriptions?status=active").expect(http.StatusOK)
		if !strings.Contains(active.body, w.ids["subscription"]) || strings.Count(active.body, `/subscriptions/sub_`) != 1 {
			t.Errorf("active list: %s", active.body)
		}
	})
}

func TestConsoleAdvancesTheTestClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Developer)
		b.post("/console/p/acme/developers/clock/advance", url.Values{"by": {"24h"}}).follow().expect(http.StatusOK)
		var c struct{ Now string }
		w.Get("/testing/projects/acme/clock").Expect(http.StatusOK).Decode(&c)
		if c.Now != "2030-01-08T10:00:00Z" {
			t.Fatalf("clock = %s", c.Now)
		}
		for _, by := range []string{"", "-1h", "soon", "90000h"} {
			if p := b.post("/console/p/acme/developers/clock/advance", url.Values{"by": {by}}); p.status != http.StatusUnprocessableEntity {
				t.Errorf("advance by %q: %d", by, p.status)
			}
		}
		ev := b.get("/console/p/acme/events/" + w.ids["event"]).expect(http.StatusOK)
		if !strings.Contains(ev.body, `id="event-data"`) {
			t.Fatalf("event page: %s", ev.body)
		}
	})
}

// waitFailed waits until the worker has tried a delivery again and failed.
func waitFailed(t *testing.T, w *world, endpoint, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var d struct{ Status string }
		w.Get(w.P("/webhookEndpoints/" + endpoint + "/deliveries/" + id)).Expect(http.StatusOK).Decode(&d)
		if d.Status == "failed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s is %s", id, d.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSubscriptionPageChartsUsageAgainstTheAllowance: the usage overview
// draws data, voice and SMS of the current period per day, with the
// plan's allowance as a line where there is one.
func TestSubscriptionPageChartsUsageAgainstTheAllowance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := w.login("acme", operators.Support)
		p := b.get("/console/p/acme/subscriptions/" + w.ids["subscription"]).expect(http.StatusOK)
		for _, want := range []string{
			`id="usage-data" data-used="250.0 MB" data-limit="1.00 GB"`,
			`id="usage-voice" data-used="2 min" data-limit="unlimited"`,
			`id="usage-sms" data-used="3 SMS" data-limit="unlimited"`,
		} {
			if !strings.Contains(p.body, want) {
				t.Errorf("subscription page lacks %s", want)
			}
		}
		charts := regexp.MustCompile(`(?s)<figure class="chart" id="usage-(\w+)".*?</figure>`).FindAllStringSubmatch(p.body, -1)
		if len(charts) != 3 {
			t.Fatalf("%d charts, want the plan's three", len(charts))
		}
		// The world's top-up is listed with its own balance, not charted.
		topUps := regexp.MustCompile(`(?s)<table class="list" id="topup-balances">.*?</table>`).FindString(p.body)
		if !strings.Contains(topUps, "<td>data</td><td>0 B</td><td>1.00 GB</td>") || !strings.Contains(p.body, "1 GB top-up") {
			t.Errorf("top-up balances: %s", topUps)
		}
		for _, c := range charts {
			if n := strings.Count(c[0], `<rect class="day"`); n != 1 {
				t.Errorf("%s chart: %d day bars, want 1", c[1], n)
			}
			if hasLine := strings.Contains(c[0], `class="allowance"`); hasLine != (c[1] == "data") {
				t.Errorf("%s chart: allowance line %v", c[1], hasLine)
			}
		}
	})
}
