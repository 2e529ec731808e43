package network

import (
	"context"
	"regexp"
	"testing"
	"time"
)

var iccid = regexp.MustCompile(`^[0-9]{19}$`)

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

// TestSimulatorIsDeterministic: the same SIM gets the same profile on every
// run, different SIMs get different ones, and ICCIDs are well formed.
func TestSimulatorIsDeterministic(t *testing.T) {
	for _, id := range ProviderIDs() {
		s, err := NewSimulator(id)
		if err != nil {
			t.Fatal(err)
		}
		a1, _ := s.ProvisionESIM(context.Background(), ProvisionRequest{SIMID: "sim_a"})
		a2, _ := s.ProvisionESIM(context.Background(), ProvisionRequest{SIMID: "sim_a"})
		b, _ := s.ProvisionESIM(context.Background(), ProvisionRequest{SIMID: "sim_b"})
		if a1 != a2 || a1.ICCID == b.ICCID || a1.ActivationCode == b.ActivationCode {
			t.Fatalf("%s: %+v %+v %+v", id, a1, a2, b)
		}
		if !iccid.MatchString(a1.ICCID) || !luhnValid(a1.ICCID) || a1.ICCID[:2] != "89" {
			t.Fatalf("%s: ICCID %s is not 19 digits with a Luhn check digit", id, a1.ICCID)
		}
		if want := "LPA:1$" + s.SMDPHost + "$"; a1.ActivationCode[:len(want)] != want {
			t.Fatalf("%s: activation code %s", id, a1.ActivationCode)
		}
	}
}

// TestActivationDelaysDifferByCarrier: each simulated carrier confirms
// after its own delay, from minutes to hours.
func TestActivationDelaysDifferByCarrier(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	want := map[string]time.Duration{"test": 2 * time.Minute, "p1": 10 * time.Minute, "p4": 45 * time.Minute, "p9": 3 * time.Hour}
	for id, delay := range want {
		s, err := NewSimulator(id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Activate(context.Background(), LineRequest{Now: now})
		if err != nil || !got.Equal(now.Add(delay)) {
			t.Fatalf("%s: ready at %s (%v), want %s", id, got, err, now.Add(delay))
		}
	}
	if _, err := NewSimulator("p99"); err == nil {
		t.Fatal("an unknown provider was accepted")
	}
}
