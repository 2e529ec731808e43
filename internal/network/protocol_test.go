package network_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"cellgate/internal/network"
	"cellgate/internal/network/conformance"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// adapter serves a strict simulator over HTTP and returns its client.
func adapter(t *testing.T) (*network.HTTPProvider, *network.Simulator, *httptest.Server) {
	t.Helper()
	sim := simulator(t, "test", 3)
	h, err := network.NewAdapter(sim, secret, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	info := network.ProviderInfo{ID: "remote", URL: srv.URL, Secret: secret, Timeout: network.Duration(2 * time.Second)}
	return network.NewHTTPProvider(info, http.DefaultTransport), sim, srv
}

// TestHTTPAdapterPassesTheConformanceSuite: the protocol carries every
// operation's contract, errors included.
func TestHTTPAdapterPassesTheConformanceSuite(t *testing.T) {
	t.Parallel()
	p, _, _ := adapter(t)
	conformance.Run(t, func(*testing.T) network.Provider { return p })
}

// signed posts body to url signed at ts with key.
func signed(t *testing.T, url, key string, body []byte, ts time.Time, tamper func([]byte) []byte) *http.Response {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(key)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign("msg_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		body = tamper(body)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("webhook-id", "msg_1")
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	req.Header.Set("Idempotency-Key", "k1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestAdapterRejectsUnsignedRequests: a tampered body, a timestamp older
// than the tolerance, another secret or no signature get 401 and change
// nothing; the same request properly signed goes through.
func TestAdapterRejectsUnsignedRequests(t *testing.T) {
	t.Parallel()
	_, sim, srv := adapter(t)
	body, _ := json.Marshal(network.Envelope{Operation: network.OpActivate, IdempotencyKey: "k1", Project: "acme", Now: time.Now().UTC(),
		Request: json.RawMessage(`{"iccid":"8988298618849573074","phoneNumber":"+15550000001"}`)})
	url := srv.URL + network.OperationPath(network.OpActivate)
	for name, resp := range map[string]*http.Response{
		"tampered body": signed(t, url, secret, body, time.Now(), func(b []byte) []byte {
			return bytes.Replace(b, []byte("+1555"), []byte("+1666"), 1)
		}),
		"old timestamp":  signed(t, url, secret, body, time.Now().Add(-10*time.Minute), nil),
		"another secret": signed(t, url, "whsec_"+"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ==", body, time.Now(), nil),
	} {
		var e network.Error
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != http.StatusUnauthorized || e.Code != network.CodeUnauthorized || e.Retryable {
			t.Errorf("%s: %d %+v", name, resp.StatusCode, e)
		}
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if n := sim.Effects(network.OpActivate, "8988298618849573074"); n != 0 {
		t.Fatalf("rejected requests activated the line %d times", n)
	}
	if resp := signed(t, url, secret, body, time.Now(), nil); resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("a signed request: %d %s", resp.StatusCode, b)
	}
	if n := sim.Effects(network.OpActivate, "8988298618849573074"); n != 1 {
		t.Fatalf("the signed request activated %d times", n)
	}
}

// TestHTTPProviderErrors: 5xx and timeouts are retryable whatever the
// body says, a 4xx keeps the adapter's code, and a hanging adapter is cut
// at the per-call timeout.
func TestHTTPProviderErrors(t *testing.T) {
	t.Parallel()
	answers := map[string]func(w http.ResponseWriter){
		"/v1/lines/restrict": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(`{"code":"lineNotFound","message":"proxy","retryable":false}`))
		},
		"/v1/lines/restore": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":"lineNotFound","message":"no such line","retryable":false}`))
		},
		"/v1/lines/deactivate": func(http.ResponseWriter) { time.Sleep(300 * time.Millisecond) },
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answers[r.URL.Path](w) }))
	t.Cleanup(srv.Close)
	p := network.NewHTTPProvider(network.ProviderInfo{ID: "x", URL: srv.URL, Secret: secret, Timeout: network.Duration(100 * time.Millisecond)}, http.DefaultTransport)
	req := network.LineRequest{Meta: network.Meta{Key: "k", Project: "acme", Now: time.Now()}, ICCID: "8988298618849573074"}
	ctx := context.Background()
	if err := p.Restrict(ctx, req); !network.IsRetryable(err) {
		t.Errorf("502: %v", err)
	}
	if e, ok := network.AsError(p.Restore(ctx, req)); !ok || e.Code != network.CodeLineNotFound || e.Retryable {
		t.Errorf("404: %+v", e)
	}
	began := time.Now()
	err := p.Deactivate(ctx, req)
	if e, ok := network.AsError(err); !ok || e.Code != network.CodeTimeout || !e.Retryable || time.Since(began) > 250*time.Millisecond {
		t.Errorf("a slow adapter: %v after %s", err, time.Since(began))
	}
}

// TestFaultsOverHTTP: POST /faults on the adapter disturbs the next calls.
func TestFaultsOverHTTP(t *testing.T) {
	t.Parallel()
	p, _, _ := adapter(t)
	ctx := context.Background()
	if err := p.InjectFault(ctx, network.Fault{Operation: network.OpActivate, Count: 1, Code: network.CodeUnavailable}); err != nil {
		t.Fatal(err)
	}
	req := network.LineRequest{Meta: network.Meta{Key: "k", Project: "acme", Now: time.Now()}, ICCID: "8988298618849573074"}
	if _, err := p.Activate(ctx, req); !network.IsRetryable(err) {
		t.Fatalf("the fault answered %v", err)
	}
	if _, err := p.Activate(ctx, req); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	eff, err := p.Effects(ctx)
	if err != nil || eff[network.OpActivate][req.ICCID] != 1 {
		t.Fatalf("effects %v (%v)", eff, err)
	}
	if err := p.InjectFault(ctx, network.Fault{Operation: "nope", Code: "unavailable"}); err == nil {
		t.Fatal("a bad fault was taken")
	}
}

// TestParseCallback: a signed callback parses; a tampered or stale one,
// or one missing what its type needs, is refused.
func TestParseCallback(t *testing.T) {
	t.Parallel()
	var got []error
	var parsed network.Callback
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := network.ParseCallback(secret, r)
		got = append(got, err)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		parsed = c
	}))
	t.Cleanup(srv.Close)
	cb := network.Callback{Type: network.CallbackPortingDeclined, Project: "acme", OccurredAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Porting: &network.PortingStatus{Reference: "prt_1", Status: network.PortingDeclined, DeclineCode: "portingAccountPinRequiredOrInvalid"}}
	if err := network.SendCallback(context.Background(), http.DefaultClient, srv.URL, secret, cb); err != nil {
		t.Fatal(err)
	}
	if parsed.ID == "" || parsed.Porting == nil || parsed.Porting.DeclineCode != "portingAccountPinRequiredOrInvalid" || !parsed.OccurredAt.Equal(cb.OccurredAt) {
		t.Fatalf("parsed %+v", parsed)
	}
	body, _ := json.Marshal(cb)
	for name, resp := range map[string]*http.Response{
		"tampered": signed(t, srv.URL, secret, body, time.Now(), func(b []byte) []byte { return bytes.Replace(b, []byte("prt_1"), []byte("prt_2"), 1) }),
		"stale":    signed(t, srv.URL, secret, body, time.Now().Add(-6*time.Minute), nil),
		"no code":  signed(t, srv.URL, secret, bytes.Replace(body, []byte("portingAccountPinRequiredOrInvalid"), []byte("because"), 1), time.Now(), nil),
	} {
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s callback accepted", name)
		}
	}
	cb.Porting = nil
	if err := network.SendCallback(context.Background(), http.DefaultClient, srv.URL, secret, cb); err == nil {
		t.Fatal("a porting callback without its porting was sent")
	}
}
