package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"cellgate/internal/store/storetest"
)

// BenchmarkConnectPages measures the server time of each Connect page on
// SQLite with 8 browsers at once (a page is one GET of a signed-in
// browser session) and reports p50, p99 and the page's bytes. The pages
// are: the checkout summary (with its quote priced and rolled back), the
// subscriptions overview with usage balances, the eSIM page, and the
// expired-link page.
//
//	go test -run '^$' -bench ConnectPages -benchtime 400x ./internal/api/
func BenchmarkConnectPages(b *testing.B) {
	db := storetest.Engines(b)[0].Open(b)
	w := newWorld(b, db)
	plan := billedShop(w)
	user := w.user(nil)
	addr := w.Post(w.P("/users/"+user+"/addresses"), fxAddressBody(1)).Expect(http.StatusCreated).ID()
	checkout := w.connectSession(map[string]any{"user": user, "intent": map[string]any{"type": "checkoutNewSubscription", "checkoutNewSubscription": map[string]any{"plan": plan}}})
	s := w.subscribe(plan, user, "auto", map[string]any{"userAddress": addr})
	w.advance(10 * time.Minute)
	view := w.connectSession(map[string]any{"user": user, "intent": map[string]any{"type": "viewSubscriptions"}})
	esim := w.connectSession(map[string]any{"user": user, "intent": map[string]any{"type": "viewEsimInstallation", "viewEsimInstallation": map[string]any{"subscription": s.ID}}})
	type target struct {
		name, path string
		br         *browser
	}
	var targets []target
	for _, c := range []struct {
		name string
		cs   connectSession
		sub  string
	}{{"checkout summary", checkout, ""}, {"subscriptions overview", view, ""}, {"eSIM", esim, "/esim/" + s.ID}} {
		br := newBrowser(w)
		start := br.open(*c.cs.URL)
		targets = append(targets, target{c.name, start + c.sub, br})
	}
	used, _ := url.Parse(*view.URL)
	targets = append(targets, target{"expired link", used.RequestURI(), newBrowser(w)})
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			var (
				mu    sync.Mutex
				times []time.Duration
				size  int
			)
			jobs := make(chan struct{})
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range jobs {
						req, _ := http.NewRequest(http.MethodGet, tg.br.base+tg.path, nil)
						t0 := time.Now()
						resp, err := tg.br.c.Do(req)
						if err != nil {
							b.Error(err)
							continue
						}
						if want := statusFor(tg.name); resp.StatusCode != want {
							b.Errorf("%s: status %d, want %d", tg.name, resp.StatusCode, want)
						}
						var buf [1 << 16]byte
						n := 0
						for {
							k, err := resp.Body.Read(buf[:])
							n += k
							if err != nil {
								break
							}
						}
						resp.Body.Close()
						d := time.Since(t0)
						mu.Lock()
						times, size = append(times, d), n
						mu.Unlock()
					}
				}()
			}
			b.ResetTimer()
			for range b.N {
				jobs <- struct{}{}
			}
			close(jobs)
			wg.Wait()
			slices.Sort(times)
			if len(times) == 0 {
				b.Fatal("no answers")
			}
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(size), "bytes")
			if size > 100_000 {
				b.Errorf("%s is %d bytes, over 100 KB", tg.name, size)
			}
		})
	}
}

// statusFor is the status a benchmarked page answers with.
func statusFor(name string) int {
	if name == "expired link" {
		return http.StatusGone
	}
	return http.StatusOK
}
