package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestLogsAndMetricsNeverShowCredentialTokens: the token of a QR code URL
// is a credential (the URL alone returns the activation code), so no log
// line and no metric label may carry it, whatever way the URL is asked
// for; the route stays recognisable.
func TestLogsAndMetricsNeverShowCredentialTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg, logs := observedConfig()
		w := newWorldWith(t, db, cfg)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		var creds struct {
			QRCodeURL string `json:"qrCodeUrl"`
		}
		w.Get(w.P("/sims/" + s.SIM.ID + "/credentials")).Expect(http.StatusOK).Decode(&creds)
		u, err := url.Parse(creds.QRCodeURL)
		if err != nil {
			t.Fatal(err)
		}
		token := strings.TrimSuffix(strings.TrimPrefix(u.Path, "/qr/"), ".png")
		if len(token) < 16 || token == u.Path {
			t.Fatalf("qrCodeUrl %q has no token", creds.QRCodeURL)
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, c := range []struct {
			method, path string
			status       int
		}{
			{http.MethodGet, u.Path, http.StatusOK},
			{http.MethodPost, u.Path, http.StatusMethodNotAllowed},
			{http.MethodGet, u.Path + "/more", http.StatusNotFound},
			{http.MethodGet, "/" + u.Path, http.StatusTemporaryRedirect},
			{http.MethodGet, "/QR/" + token + ".png", http.StatusNotFound},
		} {
			req, err := http.NewRequest(c.method, w.Server.URL+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
			}
		}
		// The image itself was served and logged under its route.
		logs.waitRecord(t, "request", map[string]any{"route": "GET /qr/{file}", "path": "/qr/[redacted]", "status": float64(http.StatusOK)})
		logs.waitRecord(t, "request", map[string]any{"method": "POST", "path": "/qr/[redacted]", "status": float64(http.StatusMethodNotAllowed)})
		if strings.Contains(logs.text(), token) {
			t.Errorf("the log holds the QR token:\n%s", logs.text())
		}
		metrics := metricsText(t, w.Server.URL)
		if strings.Contains(metrics, token) {
			t.Errorf("/metrics holds the QR token")
		}
		if !strings.Contains(metrics, `cellgate_http_requests_total{code="200",route="GET /qr/{file}"} 1`) {
			t.Errorf("/metrics does not count the QR request under its route:\n%s", metrics)
		}
	})
}

// TestSecretAnswersAreNeverCached: every answer that carries a secret (SIM
// credentials, a webhook endpoint's signing secret at creation and
// rotation, the QR image) says Cache-Control: private, no-store, on a
// replay of an Idempotency-Key too.
func TestSecretAnswersAreNeverCached(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		creds := w.Get(w.P("/sims/" + s.SIM.ID + "/credentials")).Expect(http.StatusOK)
		var c struct {
			QRCodeURL string `json:"qrCodeUrl"`
		}
		creds.Decode(&c)
		qr, err := url.Parse(c.QRCodeURL)
		if err != nil {
			t.Fatal(err)
		}
		hook := map[string]any{"url": "https://example.com/hooks", "enabledEvents": []string{"user.created"}}
		key := map[string]string{"Idempotency-Key": "secret-answers-1"}
		created := w.Do(apitest.Request{Method: http.MethodPost, Path: w.P("/webhookEndpoints"), Body: hook, Headers: key}).Expect(http.StatusCreated)
		replayed := w.Do(apitest.Request{Method: http.MethodPost, Path: w.P("/webhookEndpoints"), Body: hook, Headers: key}).Expect(http.StatusCreated)
		if string(replayed.Body) != string(created.Body) {
			t.Fatalf("the replay differs from the first answer:\n%s\n%s", created.Body, replayed.Body)
		}
		rotated := w.Post(w.P("/webhookEndpoints/"+created.ID()+"/rotateSecret"), nil).Expect(http.StatusOK)
		image := w.Do(apitest.Request{Method: http.MethodGet, Path: qr.Path, NoAuth: true}).Expect(http.StatusOK)
		for name, r := range map[string]*apitest.Response{
			"GET credentials": creds, "POST webhookEndpoints": created, "its Idempotency-Key replay": replayed,
			"POST rotateSecret": rotated, "GET QR image": image,
		} {
			if got := r.Header.Get("Cache-Control"); got != "private, no-store" {
				t.Errorf("%s: Cache-Control %q, want private, no-store", name, got)
			}
		}
		for _, field := range []string{"activationCode", "qrCodeUrl"} {
			if creds.JSON()[field] == nil {
				t.Errorf("credentials lack %s: %s", field, creds.Body)
			}
		}
		for name, r := range map[string]*apitest.Response{"created": created, "rotated": rotated} {
			if secret, _ := r.JSON()["secret"].(string); !strings.HasPrefix(secret, "whsec_") {
				t.Errorf("%s endpoint shows no secret: %s", name, r.Body)
			}
		}
		// An answer without a secret stays cacheable by the usual rules.
		if got := w.Get(w.P("/sims/" + s.SIM.ID)).Expect(http.StatusOK).Header.Get("Cache-Control"); got != "" {
			t.Errorf("GET sim: Cache-Control %q, want none", got)
		}
	})
}
