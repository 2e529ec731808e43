package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"cellgate/internal/clock"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestForbiddenAddresses: what the connect-time guard refuses.
func TestForbiddenAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "fc00::1": true, "0.0.0.0": true, "::": true, "100.64.0.1": true,
		"::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true, "224.0.0.1": true,
		"8.8.8.8": false, "1.1.1.1": false, "2606:4700:4700::1111": false, "172.32.0.1": false, "::ffff:8.8.8.8": false,
	} {
		if got := forbidden(netip.MustParseAddr(addr)); got != want {
			t.Errorf("forbidden(%s) = %v, want %v", addr, got, want)
		}
	}
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "localhost.": true, "app.localhost": true, "[::1]": true, "10.0.0.1": true,
		"example.com": false, "localhost.example.com": false, "8.8.8.8": false, "notlocalhost": false,
	} {
		if got := privateHost(host); got != want {
			t.Errorf("privateHost(%s) = %v, want %v", host, got, want)
		}
	}
	var pe *ErrPrivateAddress
	if err := guard("tcp4", "10.1.2.3:443", nil); !errors.As(err, &pe) {
		t.Errorf("guard let 10.1.2.3 through: %v", err)
	}
	if err := guard("tcp4", "93.184.216.34:443", nil); err != nil {
		t.Errorf("guard refused a public address: %v", err)
	}
}

// TestSignatureVerifiesWithOfficialLibrary: every signature in the header
// verifies on its own with the official Standard Webhooks library, and a
// changed body does not.
func TestSignatureVerifiesWithOfficialLibrary(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	body := []byte(`{"id":"evt_1"}`)
	at := time.Now()
	sig, err := Signature("msg_1", at, body, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(sig)); n != 2 {
		t.Fatalf("signature header %q has %d signatures", sig, n)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	for _, s := range []string{a, b} {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("does not verify: %v", err)
		}
		if err := wh.Verify([]byte(`{"id":"evt_2"}`), h); err == nil {
			t.Errorf("a changed body verifies")
		}
	}
	other, _ := standardwebhooks.NewWebhook(NewSecret())
	if other.Verify(body, h) == nil {
		t.Errorf("an unrelated secret verifies")
	}
}

// TestRetrySchedule: the delay before each attempt, with jitter inside
// its bound and rounded up to a whole second, Retry-After winning when
// later, and no attempt past the end.
func TestRetrySchedule(t *testing.T) {
	c := Config{}.withDefaults()
	now := clock.Wall()
	for n, base := range DefaultSchedule {
		if n == 0 {
			continue
		}
		next := c.nextAttempt(n, now, time.Time{})
		got := next.Sub(now)
		if lo, hi := time.Duration(float64(base)*0.9), time.Duration(float64(base)*1.1)+time.Second; got < lo || got >= hi {
			t.Errorf("attempt %d after %v, want %v ± 10%%", n+1, got, base)
		}
		if next.Nanosecond() != 0 {
			t.Errorf("attempt %d due at %s, not a whole second", n+1, next.Format(time.RFC3339Nano))
		}
	}
	short := Config{Schedule: []time.Duration{0, time.Second}, Jitter: -1}.withDefaults()
	if got := short.nextAttempt(1, now, now.Add(1500*time.Millisecond)); !got.Equal(now.Add(2 * time.Second)) {
		t.Errorf("Retry-After 1.5 s after the failure gave %v, want the next whole second", got.Sub(now))
	}
	if !c.nextAttempt(len(DefaultSchedule), now, time.Time{}).IsZero() {
		t.Errorf("an attempt after the last one")
	}
	if got := c.nextAttempt(1, now, now.Add(time.Hour)); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("Retry-After one hour gave %v", got.Sub(now))
	}
	for _, tc := range []struct {
		code   int
		header string
		want   time.Duration // 0: ignored
	}{
		{429, "120", 2 * time.Minute},
		{502, "3", 3 * time.Second},
		{504, now.Add(time.Minute).UTC().Format(http.TimeFormat), time.Minute},
		{500, "120", 0},
		{429, "soon", 0},
		{429, "999999", 24 * time.Hour},
	} {
		resp := &http.Response{StatusCode: tc.code, Header: http.Header{"Retry-After": {tc.header}}}
		got := retryAfter(resp, now)
		if tc.want == 0 {
			if !got.IsZero() {
				t.Errorf("%d Retry-After %q honoured", tc.code, tc.header)
			}
			continue
		}
		if d := got.Sub(now); d < tc.want-time.Second || d > tc.want+time.Second {
			t.Errorf("%d Retry-After %q: %v, want %v", tc.code, tc.header, d, tc.want)
		}
	}
}

// TestOrphanDeliveryIsDropped: a delivery whose endpoint no longer exists
// (an event that committed while its endpoint was deleted) is removed,
// not sent and not retried forever.
func TestOrphanDeliveryIsDropped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UnixMicro()
		_, err := db.Exec(ctx, `INSERT INTO webhook_deliveries (endpoint_id, id, project_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
			VALUES ('whe_gone', 'msg_x', 'p', 'evt_x', 'pending', 0, ?, ?, ?)`, now, now, now)
		if err != nil {
			t.Fatal(err)
		}
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			(&Worker{DB: db, Config: Config{PollInterval: 10 * time.Millisecond}}).Run(wctx)
		}()
		defer func() { stop(); <-done }()
		deadline := time.Now().Add(5 * time.Second)
		for {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the orphan delivery is still there")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
