package network

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// Provider is what cellgate asks of a carrier. Calls happen inside the
// transaction of the change that needs them and carry the project's clock,
// so a simulated carrier behaves the same on every run.
type Provider interface {
	// ProvisionESIM creates an eSIM profile and returns its ICCID and the
	// activation code a device installs it with.
	ProvisionESIM(ctx context.Context, req ProvisionRequest) (ESIMProfile, error)
	// Activate starts service on a SIM with a number; the carrier confirms
	// at the returned time (minutes to hours later).
	Activate(ctx context.Context, req LineRequest) (readyAt time.Time, err error)
	// Deactivate stops service on a SIM.
	Deactivate(ctx context.Context, req LineRequest) error
	// Restrict allows no data and only incoming calls and SMS.
	Restrict(ctx context.Context, req LineRequest) error
	// Restore lifts a restriction.
	Restore(ctx context.Context, req LineRequest) error
}

// ProvisionRequest asks for a new eSIM.
type ProvisionRequest struct {
	Project string
	SIMID   string // the SIM resource being created, unique
	Now     time.Time
}

// ESIMProfile is what a carrier returns for a new eSIM.
type ESIMProfile struct {
	ICCID          string
	ActivationCode string // LPA:1$<SM-DP+ host>$<matching id>
}

// LineRequest names a line at the carrier.
type LineRequest struct {
	// Key is the idempotency key: the same key is the same request.
	Key         string
	Project     string
	ICCID       string
	PhoneNumber string
	Now         time.Time
}

// Simulator is the built-in carrier: every profile of profiles.go, fully
// deterministic for a given input, so test clocks replay exactly.
type Simulator struct {
	Profile Profile
	// SMDPHost is the host in activation codes.
	SMDPHost string
}

// NewSimulator returns the simulated carrier for a provider id.
func NewSimulator(id string) (*Simulator, error) {
	p, ok := Lookup(id)
	if !ok {
		return nil, fmt.Errorf("network: unknown provider %q", id)
	}
	return &Simulator{Profile: p, SMDPHost: "smdp.cellgate.test"}, nil
}

// ProvisionESIM derives the ICCID and activation code from the SIM id, so
// they are stable and unique without shared state.
func (s *Simulator) ProvisionESIM(_ context.Context, req ProvisionRequest) (ESIMProfile, error) {
	sum := sha256.Sum256([]byte(s.Profile.ID + "/" + req.SIMID))
	serial := binary.BigEndian.Uint64(sum[:8]) % 100_000_000_000
	code := fmt.Sprintf("%X", sum[8:16])
	return ESIMProfile{
		// 89 (telecom) + 882 (global) + 2-digit issuer + 11-digit serial + check digit = 19 digits.
		ICCID:          withLuhn(fmt.Sprintf("89882%02d%011d", s.issuer(), serial)),
		ActivationCode: fmt.Sprintf("LPA:1$%s$%s-%s-%s", s.SMDPHost, code[:4], code[4:9], code[9:16]),
	}, nil
}

// issuer turns the provider id into the issuer digits of its ICCIDs.
func (s *Simulator) issuer() int {
	sum := 0
	for _, c := range s.Profile.ID {
		sum = sum*31 + int(c)
	}
	return sum % 100
}

// Activate confirms after the profile's activation delay.
func (s *Simulator) Activate(_ context.Context, req LineRequest) (time.Time, error) {
	return req.Now.Add(s.Profile.ActivationDelay), nil
}

// Deactivate, Restrict and Restore take effect at once on the simulator.
func (s *Simulator) Deactivate(context.Context, LineRequest) error { return nil }
func (s *Simulator) Restrict(context.Context, LineRequest) error   { return nil }
func (s *Simulator) Restore(context.Context, LineRequest) error    { return nil }

// withLuhn appends the Luhn check digit that ICCIDs end with.
func withLuhn(digits string) string {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}

// Registry finds the Provider of a provider id.
type Registry interface {
	Provider(id string) (Provider, error)
}

// Simulated serves every known provider id with the simulator: this is how
// cellgate runs without carriers.
type Simulated struct{}

// Provider returns the simulator of id.
func (Simulated) Provider(id string) (Provider, error) { return NewSimulator(id) }
