package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cellgate/internal/browsertest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestBrowserConnectCheckout buys a plan through the Connect pages in
// headless Chromium: in the light theme on a 375 px phone, in the dark
// theme on a wide screen, and with the keyboard alone. Each run gives the
// address, pays with the 4242 test card, reads the confirmation and its
// link to the eSIM page, and then, after the clock moves, the API finds the
// subscription active. Screenshots of every step are test artifacts.
func TestBrowserConnectCheckout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := billedShop(w)
		for i, run := range []struct {
			name          string
			theme         string
			width, height int
			keyboard      bool
		}{
			{"light phone", "light", 375, 812, false},
			{"dark wide", "dark", 1280, 900, false},
			{"keyboard only", "light", 1280, 900, true},
		} {
			t.Run(strings.ReplaceAll(run.name, " ", "_"), func(t *testing.T) {
				email := fmt.Sprintf("buyer%d@example.com", i)
				cs := w.connectSession(map[string]any{"userDetails": map[string]any{"email": email, "fullName": "Buyer"},
					"appearance": map[string]any{"theme": run.theme}, "callbackUrl": "https://brand.example/home",
					"intent": map[string]any{"type": "checkoutNewSubscription", "checkoutNewSubscription": map[string]any{"plan": plan}}})
				c := browsertest.New(t, w.Server.URL, run.width, run.height)
				// The url names the server's public URL; the test server's
				// address differs.
				link, _ := url.Parse(*cs.URL)
				c.Open(link.RequestURI())
				if loc := c.Location(); strings.Contains(loc, "token") {
					t.Fatalf("the token stays in the address bar: %s", loc)
				}
				if !strings.Contains(c.HTML(), `class="`+run.theme+`"`) {
					t.Fatalf("page is not in the %s theme", run.theme)
				}
				c.Screenshot("details")
				fields := []struct{ id, value string }{{"line1", "129 W 81st St"}, {"city", "New York"}, {"state", "NY"}, {"postalCode", "10024"}, {"country", "US"}}
				if run.keyboard {
					for _, f := range fields {
						c.Keys("\t")
						c.Keys(f.value)
					}
					c.AndWait(chromedp.KeyEvent("\r"))
				} else {
					for _, f := range fields {
						c.Do(chromedp.SendKeys(chromedp.ID(f.id), f.value))
					}
					c.Click("#continue")
				}
				c.Screenshot("quote")
				if total := c.Text("#total"); !strings.Contains(total, "USD") {
					t.Fatalf("quote total %q", total)
				}
				if run.keyboard {
					c.Keys("\t") // the number choice: a new number is selected
					c.Keys("\t") // the number to bring over, left empty
					c.Keys("\t")
					c.Keys("4242424242424242")
					c.AndWait(chromedp.KeyEvent("\r"))
				} else {
					c.Do(chromedp.SendKeys(chromedp.ID("card"), "4242 4242 4242 4242"))
					c.Click("#pay")
				}
				c.Screenshot("confirmation")
				if !strings.Contains(c.HTML(), "You are all set") || !strings.Contains(c.HTML(), `href="https://brand.example/home"`) {
					t.Fatalf("confirmation page: %s", c.HTML())
				}
				// The eSIM page itself is checked over HTTP
				// (TestConnectCheckoutBuysAPlanWithATestCard): in Chromium its
				// load never finished here (docs/connect.md, not built yet).
				if !strings.Contains(c.HTML(), "/esim/") {
					t.Fatal("no link to the eSIM page")
				}
				var got connectSession
				w.Get(w.P("/connectSessions/" + cs.ID)).Expect(http.StatusOK).Decode(&got)
				var subs struct{ Items []sub }
				w.Get(w.P("/subscriptions?user=" + *got.User)).Expect(http.StatusOK).Decode(&subs)
				if len(subs.Items) != 1 {
					t.Fatalf("%d subscriptions", len(subs.Items))
				}
				w.advance(10 * time.Minute)
				if s := w.sub(subs.Items[0].ID); s.Status != "active" {
					t.Errorf("subscription %s after the clock moved, want active", s.Status)
				}
			})
		}
	})
}
