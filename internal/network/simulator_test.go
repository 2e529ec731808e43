package network_test

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/network/conformance"
)

var iccidPattern = regexp.MustCompile(`^[0-9]{19}$`)

func luhnValid(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func simulator(t *testing.T, profile string, seed uint64) *network.Simulator {
	t.Helper()
	p, ok := network.BuiltinProfiles()[profile]
	if !ok {
		t.Fatalf("no profile %s", profile)
	}
	info := network.DefaultConfig().Providers[0]
	info.ID, info.Profile = "sim-"+profile, profile
	return network.NewSimulator(info, p, seed)
}

// TestSimulatorPassesTheConformanceSuite: the built-in simulator meets the
// contract, with the test profile and with the realistic one.
func TestSimulatorPassesTheConformanceSuite(t *testing.T) {
	t.Parallel()
	for _, profile := range []string{"test", "us-mno"} {
		t.Run(profile, func(t *testing.T) {
			conformance.Run(t, func(t *testing.T) network.Provider {
				s := simulator(t, profile, 7)
				// The realistic profile's refusals are the carrier's right,
				// not a breach of contract: the suite runs without them.
				s.Profile.Failures = network.Failures{}
				return s
			})
		})
	}
}

// TestDefaultProvidersKeepTheirICCIDs: configured providers allocate the
// same ICCIDs and activation codes the compiled-in simulators derived, so
// an upgrade changes no SIM.
func TestDefaultProvidersKeepTheirICCIDs(t *testing.T) {
	t.Parallel()
	want := map[string][2]string{
		"test": {"8988298618849573074", "LPA:1$smdp.cellgate.test$EE9D-29C28-9E3BCFD"},
		"p1":   {"8988221990493889854", "LPA:1$smdp.cellgate.test$D86F-89D54-CDB92AE"},
		"p4":   {"8988224196027831761", "LPA:1$smdp.cellgate.test$0107-04917-A5DF483"},
		"p9":   {"8988229640782622761", "LPA:1$smdp.cellgate.test$37C0-25BC9-8EBD4CD"},
	}
	reg := network.Default()
	for id, w := range want {
		info, ok := reg.Info(id)
		if !ok {
			t.Fatalf("no default provider %s", id)
		}
		a := network.AllocateESIM(info, "sim_a")
		if a.ICCID != w[0] || a.ActivationCode != w[1] {
			t.Errorf("%s: %s %s, want %s %s", id, a.ICCID, a.ActivationCode, w[0], w[1])
		}
		b := network.AllocateESIM(info, "sim_b")
		if !iccidPattern.MatchString(a.ICCID) || !luhnValid(a.ICCID) || a.ICCID == b.ICCID || a.MatchingID == b.MatchingID {
			t.Errorf("%s: %+v and %+v", id, a, b)
		}
	}
}

// TestActivationDelaysDifferByCarrier: each default carrier confirms after
// its own delay, from minutes to hours.
func TestActivationDelaysDifferByCarrier(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := network.Default()
	for id, delay := range map[string]time.Duration{"test": 2 * time.Minute, "p1": 10 * time.Minute, "p4": 45 * time.Minute, "p9": 3 * time.Hour} {
		p, err := reg.Provider(id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Activate(context.Background(), network.LineRequest{Meta: network.Meta{Key: "k", Project: "acme", Now: now}, ICCID: "8988298618849573074"})
		if err != nil || !got.ReadyAt.Equal(now.Add(delay)) {
			t.Fatalf("%s: ready at %s (%v), want %s", id, got.ReadyAt, err, now.Add(delay))
		}
	}
	if _, err := reg.Provider("p99"); err == nil {
		t.Fatal("an unknown provider was accepted")
	}
}

// outcomes runs the same calls on a simulator and records every answer.
func outcomes(t *testing.T, s *network.Simulator) []any {
	ctx := context.Background()
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	var out []any
	for i := 0; i < 40; i++ {
		m := network.Meta{Key: "k" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Project: "acme", Now: now}
		iccid := network.AllocateESIM(s.Info, m.Key).ICCID
		a, err := s.Activate(ctx, network.LineRequest{Meta: m, ICCID: iccid})
		out = append(out, a, errString(err))
		m.Key += "-port"
		st, err := s.SubmitPorting(ctx, network.PortingRequest{Meta: m, Reference: m.Key, PhoneNumber: "+15550001", DonorProvider: "att",
			AccountNumber: "1", AccountPIN: "2", FirstName: "A", LastName: "B"})
		out = append(out, st, errString(err))
		if err == nil {
			st, _ = s.PortingStatus(ctx, network.PortingRef{Meta: network.Meta{Project: "acme", Now: st.CompletesAt}, Reference: m.Key})
			out = append(out, st)
		}
	}
	b, err := s.Usage(ctx, network.UsageRequest{Meta: network.Meta{Project: "acme", Now: now.AddDate(0, 0, 8)}})
	return append(out, b, errString(err))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSimulatorIsDeterministic: the same seed gives the same activation
// delays, refusals, porting outcomes and usage on every run; another seed
// gives others.
func TestSimulatorIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := outcomes(t, simulator(t, "us-mno", 1)), outcomes(t, simulator(t, "us-mno", 1))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different outcomes")
	}
	if reflect.DeepEqual(a, outcomes(t, simulator(t, "us-mno", 2))) {
		t.Fatal("another seed gave the same outcomes")
	}
}

// TestSimulatorCountsEachEffectOnce: the same key twice is one
// provisioning; a retryable refusal is not remembered, so the retry with
// the same key goes through and counts once.
func TestSimulatorCountsEachEffectOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := simulator(t, "test", 0)
	req := network.ProvisionRequest{Meta: network.Meta{Key: "op_1", Project: "acme", Now: time.Now()}, ICCID: "8988298618849573074", MatchingID: "M"}
	if err := s.InjectFault(ctx, network.Fault{Operation: network.OpProvisionESIM, Count: 1, Code: network.CodeUnavailable}); err != nil {
		t.Fatal(err)
	}
	if err := s.ProvisionESIM(ctx, req); !network.IsRetryable(err) {
		t.Fatalf("the injected fault answered %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := s.ProvisionESIM(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Effects(network.OpProvisionESIM, req.ICCID); n != 1 {
		t.Fatalf("the carrier saw %d provisionings, want 1", n)
	}
}

// TestFaultInjection: a fault fails exactly its count of calls of its
// operation and project, latency delays, hang holds until the caller's
// deadline, and clearing removes open-ended faults.
func TestFaultInjection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := simulator(t, "test", 0)
	line := func(key, project string) network.LineRequest {
		return network.LineRequest{Meta: network.Meta{Key: key, Project: project, Now: time.Now()}, ICCID: "8988298618849573074"}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.InjectFault(ctx, network.Fault{Operation: network.OpActivate, Project: "acme", Count: 2, Code: network.CodeActivationRejected, Message: "no"}))
	if _, err := s.Activate(ctx, line("other", "globex")); err != nil {
		t.Fatalf("another project's call failed: %v", err)
	}
	for i := 0; i < 2; i++ {
		_, err := s.Activate(ctx, line("a", "acme"))
		if e, ok := network.AsError(err); !ok || e.Code != network.CodeActivationRejected || e.Retryable {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if _, err := s.Activate(ctx, line("a", "acme")); err != nil {
		t.Fatalf("the third call still failed: %v", err)
	}
	must(s.InjectFault(ctx, network.Fault{Operation: network.OpRestrict, Latency: network.Duration(50 * time.Millisecond)}))
	began := time.Now()
	must(s.Restrict(ctx, line("r", "acme")))
	if d := time.Since(began); d < 50*time.Millisecond {
		t.Fatalf("latency of 50ms took %s", d)
	}
	must(s.InjectFault(ctx, network.Fault{Hang: true}))
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := s.Restore(short, line("h", "acme")); !errors.Is(short.Err(), context.DeadlineExceeded) || !network.IsRetryable(err) {
		t.Fatalf("a hang answered %v", err)
	}
	must(s.ClearFaults(ctx, ""))
	must(s.Restore(ctx, line("h2", "acme")))
	if err := s.InjectFault(ctx, network.Fault{Operation: "lines.fly"}); err == nil {
		t.Fatal("a fault on an unknown operation was taken")
	}
}

// TestSimulatorTakesEveryICCIDFormatOfTheReference: 19 digits with or
// without a trailing F, and 20 digits, are lines; anything else is an
// invalid request.
func TestSimulatorTakesEveryICCIDFormatOfTheReference(t *testing.T) {
	t.Parallel()
	s := simulator(t, "test", 0)
	for i, iccid := range []string{"8901260000000000001", "8901260000000000001F", "8901260000000000001f", "89012600000000000012"} {
		m := network.Meta{Key: "k" + iccid, Project: "acme", Now: time.Now()}
		if _, err := s.Activate(context.Background(), network.LineRequest{Meta: m, ICCID: iccid}); err != nil {
			t.Errorf("%d: %s: %v", i, iccid, err)
		}
	}
	for _, iccid := range []string{"890126000000000001", "8901260000000000001G", "890126000000000000123"} {
		m := network.Meta{Key: "k" + iccid, Project: "acme", Now: time.Now()}
		_, err := s.Activate(context.Background(), network.LineRequest{Meta: m, ICCID: iccid})
		if e, ok := network.AsError(err); !ok || e.Code != network.CodeInvalidRequest {
			t.Errorf("%s: %v", iccid, err)
		}
	}
}
