package payments

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stripeMockVersion is the stripe-mock the adapter is tested against.
const stripeMockVersion = "v0.203.0"

// startStripeMock builds stripe-mock into a temporary directory and runs
// it as a second process. It skips when the build fails outside CI.
func startStripeMock(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "install", "github.com/stripe/stripe-mock@"+stripeMockVersion)
	build.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := build.CombinedOutput(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("stripe-mock cannot be built here: %v\n%s", err, out)
		}
		t.Fatalf("building stripe-mock: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(filepath.Join(dir, "stripe-mock"), "-http-addr", addr)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatal("stripe-mock did not start listening")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recorder is a proxy in front of stripe-mock that keeps every request's
// method, path and Idempotency-Key.
type recorder struct {
	mu       sync.Mutex
	requests []string
}

func (r *recorder) front(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests = append(r.requests, req.Method+" "+req.URL.Path+" key="+req.Header.Get("Idempotency-Key")+" auth="+req.Header.Get("Authorization"))
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// TestStripeAdapterAgainstStripeMock: each call of the adapter is a
// request stripe-mock (Stripe's OpenAPI description) accepts, with the
// secret key and, where money moves, the operation's idempotency key.
func TestStripeAdapterAgainstStripeMock(t *testing.T) {
	base := startStripeMock(t)
	rec := &recorder{}
	front := rec.front(t, base)
	set := &Settings{Provider: ptr(StripeID), secretKey: "sk_test_123", Stripe: &StripeView{APIBase: &front}}
	s := NewStripe(set, &http.Client{Timeout: 10 * time.Second})
	ctx := context.Background()

	cus, err := s.CreateCustomer(ctx, "acme/usr_1", Customer{Project: "acme", User: "usr_1", Email: "a@example.com"})
	if err != nil || !strings.HasPrefix(cus, "cus_") {
		t.Fatalf("CreateCustomer = %q, %v", cus, err)
	}
	m, err := s.AttachMethod(ctx, "acme/k1", cus, "pm_card_visa")
	if err != nil || !strings.HasPrefix(m.Ref, "pm_") || m.Status != "available" || m.Type != "card" {
		t.Fatalf("AttachMethod = %+v, %v", m, err)
	}
	res, err := s.Charge(ctx, ChargeRequest{Key: "op_charge1", Project: "acme", Customer: cus, Method: m.Ref, Amount: 1000,
		Currency: "USD", Description: "Invoice inv_1", Now: time.Now()})
	if err != nil || (res.Status != ChargeSucceeded && res.Status != ChargeDeclined) {
		t.Fatalf("Charge = %+v, %v", res, err)
	}
	ref, err := s.Refund(ctx, RefundRequest{Key: "op_refund1", ChargeRef: "pi_123", Amount: 300, Currency: "USD"})
	if err != nil || !strings.HasPrefix(ref.Ref, "re_") {
		t.Fatalf("Refund = %+v, %v", ref, err)
	}
	if _, err := s.Dispute(ctx, "pi_123", time.Now()); err != nil {
		t.Fatalf("Dispute: %v", err)
	}
	want := []string{
		"POST /v1/customers key=cus-acme/usr_1",
		"POST /v1/payment_methods/pm_card_visa/attach key=att-acme/k1",
		"POST /v1/payment_intents key=op_charge1",
		"POST /v1/refunds key=op_refund1",
		"GET /v1/disputes key=",
	}
	got := rec.seen()
	if len(got) != len(want) {
		t.Fatalf("requests = %v", got)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w+" auth=Bearer sk_test_123") {
			t.Errorf("request %d = %q, want %q with the secret key", i, got[i], w)
		}
	}

	// A request Stripe refuses is not retried.
	if _, err := s.AttachMethod(ctx, "acme/k2", cus, ""); err == nil {
		t.Fatal("attaching an empty token succeeded")
	}
}

func ptr[T any](v T) *T { return &v }
