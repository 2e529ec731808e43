package network

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Operation names: the simulator counts effects by them and the adapter
// protocol serves each at /v1/<name with dots as slashes>.
const (
	OpProvisionESIM      = "esim.provision"
	OpESIMProfile        = "esim.profile"
	OpActivate           = "lines.activate"
	OpDeactivate         = "lines.deactivate"
	OpRestrict           = "lines.restrict"
	OpRestore            = "lines.restore"
	OpSwapSIM            = "lines.swap"
	OpChangePlan         = "lines.changePlan"
	OpThrottle           = "lines.throttle"
	OpAddonAllowance     = "lines.addonAllowance"
	OpPortOutCredentials = "lines.portOutCredentials"
	OpSubmitPorting      = "portings.submit"
	OpUpdatePorting      = "portings.update"
	OpCancelPorting      = "portings.cancel"
	OpPortingStatus      = "portings.status"
	OpUsage              = "usage.list"
)

// Operations lists every operation; reads are those without effects.
var (
	Operations = []string{OpProvisionESIM, OpESIMProfile, OpActivate, OpDeactivate, OpRestrict, OpRestore, OpSwapSIM,
		OpChangePlan, OpThrottle, OpAddonAllowance, OpPortOutCredentials, OpSubmitPorting, OpUpdatePorting, OpCancelPorting, OpPortingStatus, OpUsage}
	readOps = map[string]bool{OpESIMProfile: true, OpPortingStatus: true, OpUsage: true}
)

// IsRead tells whether op only reads: it needs no idempotency key.
func IsRead(op string) bool { return readOps[op] }

// Simulator is the built-in carrier. Its state (lines, profiles,
// portings, answers by idempotency key) lives in memory; its random
// choices are drawn from a hash of (seed, provider id, request), never
// from shared mutable state, so replays and replicas agree.
type Simulator struct {
	Info    ProviderInfo
	Profile Profile
	Seed    uint64
	// AdoptUnknownLines takes a line it has not seen as active instead of
	// answering lineNotFound: cellgate's in-process simulator forgets its
	// lines when the server restarts.
	AdoptUnknownLines bool

	mu       sync.Mutex
	memo     map[string]answer
	attempts map[string]int
	effects  map[string]map[string]int
	lines    map[string]*line
	profiles map[string]*esimProfile
	portings map[string]*porting
	// portOuts are the port-out credentials issued, by ICCID.
	portOuts map[string]*issuedPortOut
	// memory, when attached, keeps portings and port-outs across a
	// restart (sim_memory.go).
	memory Memory
	faults []*Fault
	// modelled marks the projects whose lines use only their traffic
	// models (see SetTraffic).
	modelledProjects map[string]bool
}

// answer is what a key got the first time.
type answer struct {
	fingerprint [32]byte
	result      any
	err         error
}

// NewSimulator returns a simulated carrier with a profile and a seed.
func NewSimulator(info ProviderInfo, profile Profile, seed uint64) *Simulator {
	return &Simulator{Info: info, Profile: profile, Seed: seed,
		memo: map[string]answer{}, attempts: map[string]int{}, effects: map[string]map[string]int{},
		lines: map[string]*line{}, profiles: map[string]*esimProfile{}, portings: map[string]*porting{},
		portOuts: map[string]*issuedPortOut{}}
}

// Effects counts the effects of op on subject (an ICCID, or a porting's
// reference): "the carrier saw exactly one provisioning of this SIM".
func (s *Simulator) Effects(op, subject string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.effects[op][subject]
}

// AllEffects copies every count, by operation and subject.
func (s *Simulator) AllEffects() map[string]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int{}
	for op, m := range s.effects {
		out[op] = map[string]int{}
		for k, n := range m {
			out[op][k] = n
		}
	}
	return out
}

// call runs one operation: faults first, then the answer a key already
// got, else a transient failure draw, else the effect. Final answers are
// remembered by key; retryable ones are not, so a retry tries again.
func call[T any](ctx context.Context, s *Simulator, op string, m Meta, req any, subject string, effect func() (T, error)) (T, error) {
	var zero T
	if err := s.applyFaults(ctx, op, m.Project); err != nil {
		return zero, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if IsRead(op) {
		return effect()
	}
	if m.Key == "" {
		return zero, Errorf(CodeInvalidRequest, "%s needs an idempotency key", op)
	}
	body, _ := json.Marshal(req) // request types always marshal
	fp := sha256.Sum256(append([]byte(op+"\x00"), body...))
	key := m.Project + "\x00" + m.Key
	if a, ok := s.memo[key]; ok {
		if a.fingerprint != fp {
			return zero, Errorf(CodeIdempotencyKeyReused, "the idempotency key %q was used for a different request", m.Key)
		}
		res, _ := a.result.(T)
		return res, a.err
	}
	s.attempts[key]++
	if s.chance(s.Profile.Failures.Transient, "transient", key, strconv.Itoa(s.attempts[key])) {
		return zero, Errorf(CodeUnavailable, "the carrier is temporarily unavailable (simulated)")
	}
	res, err := effect()
	if IsRetryable(err) {
		return res, err
	}
	s.memo[key] = answer{fingerprint: fp, result: res, err: err}
	if err == nil {
		if s.effects[op] == nil {
			s.effects[op] = map[string]int{}
		}
		s.effects[op][subject]++
	}
	return res, err
}

// unit draws a number in [0, 1) from the seed, the provider and parts.
func (s *Simulator) unit(parts ...string) float64 {
	h := sha256.New()
	h.Write([]byte(strconv.FormatUint(s.Seed, 10) + "\x00" + s.Info.ID))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return float64(binary.BigEndian.Uint64(h.Sum(nil))>>11) / (1 << 53)
}

func (s *Simulator) chance(p float64, parts ...string) bool { return p > 0 && s.unit(parts...) < p }

// between draws a duration in r, to the second.
func (s *Simulator) between(r DurationRange, parts ...string) time.Duration {
	span := time.Duration(r.Max - r.Min)
	return time.Duration(r.Min) + time.Duration(s.unit(parts...)*float64(span)).Truncate(time.Second)
}

func (s *Simulator) intBetween(r IntRange, parts ...string) int64 {
	return r.Min + int64(s.unit(parts...)*float64(r.Max-r.Min+1))
}

func (s *Simulator) pick(list []string, parts ...string) string {
	return list[int(s.unit(parts...)*float64(len(list)))]
}

// Line states over time.
const (
	lineActive      = "active"
	lineRestricted  = "restricted"
	lineDeactivated = "deactivated"
)

type lineChange struct {
	at    time.Time
	state string
}

// line is a number on a SIM at the carrier; changes are kept in time
// order, so the usage feed and the eSIM state can be read at any time.
type line struct {
	project, phone string
	changes        []lineChange
	allowances     Allowances
	// addons are the allowances of the line's active add-ons, by
	// subscription add-on id.
	addons map[string]AddonAllowanceRequest
	// traffic and throttles are time-ordered too: a traffic model (test
	// lines) and the fair-use bandwidth caps.
	traffic   []trafficChange
	throttles []throttleChange
}

func (l *line) set(at time.Time, state string) {
	i := sort.Search(len(l.changes), func(i int) bool { return l.changes[i].at.After(at) })
	l.changes = append(l.changes, lineChange{})
	copy(l.changes[i+1:], l.changes[i:])
	l.changes[i] = lineChange{at: at, state: state}
}

// stateAt is the line's state at t; "" before it was first active.
func (l *line) stateAt(t time.Time) string {
	state := ""
	for _, c := range l.changes {
		if c.at.After(t) {
			break
		}
		state = c.state
	}
	return state
}

// line finds a known line; with AdoptUnknownLines an unknown one becomes
// a line active from now.
func (s *Simulator) line(m Meta, iccid, phone string) (*line, error) {
	if l, ok := s.lines[iccid]; ok {
		return l, nil
	}
	if !s.AdoptUnknownLines {
		return nil, Errorf(CodeLineNotFound, "no line with ICCID %s", iccid)
	}
	l := &line{project: m.Project, phone: phone}
	l.set(m.Now, lineActive)
	s.lines[iccid] = l
	return l, nil
}

// iccidPattern is the reference's ICCID format: 19 digits and an
// optional F, or 20 digits.
var iccidPattern = regexp.MustCompile(`^([0-9]{19}[Ff]?|[0-9]{20})$`)

func checkICCID(iccid string) error {
	if !iccidPattern.MatchString(iccid) {
		return Errorf(CodeInvalidRequest, "iccid %q is not 19 digits (and an optional F) or 20 digits", iccid)
	}
	return nil
}

// Activate starts the line at Now plus the profile's activation delay.
func (s *Simulator) Activate(ctx context.Context, req LineRequest) (Activation, error) {
	return call(ctx, s, OpActivate, req.Meta, req, req.ICCID, func() (Activation, error) {
		if err := checkICCID(req.ICCID); err != nil {
			return Activation{}, err
		}
		if s.chance(s.Profile.Failures.Activation, "activation", req.Project, req.Key) {
			return Activation{}, Errorf(CodeActivationRejected, "the carrier refused to activate %s (simulated)", req.ICCID)
		}
		l, ok := s.lines[req.ICCID]
		if !ok {
			l = &line{project: req.Project}
			s.lines[req.ICCID] = l
		}
		l.phone = req.PhoneNumber
		ready := req.Now.Add(s.between(s.Profile.ActivationDelay, "activationDelay", req.ICCID, req.Key))
		l.set(ready, lineActive)
		return Activation{ReadyAt: ready}, nil
	})
}

// Deactivate stops the line at Now.
func (s *Simulator) Deactivate(ctx context.Context, req LineRequest) error {
	_, err := call(ctx, s, OpDeactivate, req.Meta, req, req.ICCID, func() (struct{}, error) {
		l, err := s.line(req.Meta, req.ICCID, req.PhoneNumber)
		if err == nil {
			l.set(req.Now, lineDeactivated)
		}
		return struct{}{}, err
	})
	return err
}

// Restrict leaves the line incoming calls and SMS only, from Now.
func (s *Simulator) Restrict(ctx context.Context, req LineRequest) error {
	return s.change(ctx, OpRestrict, req, lineRestricted, 0)
}

// Restore gives the line full service from Now.
func (s *Simulator) Restore(ctx context.Context, req LineRequest) error {
	return s.change(ctx, OpRestore, req, lineActive, s.Profile.Failures.Restore)
}

func (s *Simulator) change(ctx context.Context, op string, req LineRequest, state string, failure float64) error {
	_, err := call(ctx, s, op, req.Meta, req, req.ICCID, func() (struct{}, error) {
		l, err := s.line(req.Meta, req.ICCID, req.PhoneNumber)
		if err != nil {
			return struct{}{}, err
		}
		if l.stateAt(req.Now) == lineDeactivated {
			return struct{}{}, Errorf(CodeLineNotActive, "the line %s is deactivated", req.ICCID)
		}
		if s.chance(failure, op, req.Project, req.Key) {
			return struct{}{}, Errorf(CodeRestoreRejected, "the carrier refused to restore %s (simulated)", req.ICCID)
		}
		l.set(req.Now, state)
		return struct{}{}, nil
	})
	return err
}

// SwapSIM moves the number to the new SIM in the old one's state; the
// old SIM's line ends and its eSIM profile is deleted.
func (s *Simulator) SwapSIM(ctx context.Context, req SwapRequest) error {
	_, err := call(ctx, s, OpSwapSIM, req.Meta, req, req.OldICCID, func() (struct{}, error) {
		if err := checkICCID(req.NewICCID); err != nil {
			return struct{}{}, err
		}
		old, err := s.line(req.Meta, req.OldICCID, req.PhoneNumber)
		if err != nil {
			return struct{}{}, err
		}
		state := old.stateAt(req.Now)
		if state == lineDeactivated || state == "" {
			return struct{}{}, Errorf(CodeLineNotActive, "the line %s is not in service", req.OldICCID)
		}
		old.set(req.Now, lineDeactivated)
		nl := &line{project: req.Project, phone: req.PhoneNumber, allowances: old.allowances, addons: old.addons, traffic: old.traffic, throttles: old.throttles}
		nl.set(req.Now, state)
		s.lines[req.NewICCID] = nl
		if p, ok := s.profiles[req.OldICCID]; ok {
			p.deletedAt = req.Now
		}
		return struct{}{}, nil
	})
	return err
}

// ChangePlan records the line's new allowances.
func (s *Simulator) ChangePlan(ctx context.Context, req PlanChangeRequest) error {
	_, err := call(ctx, s, OpChangePlan, req.Meta, req, req.ICCID, func() (struct{}, error) {
		l, err := s.line(req.Meta, req.ICCID, req.PhoneNumber)
		if err != nil {
			return struct{}{}, err
		}
		if l.stateAt(req.Now) == lineDeactivated {
			return struct{}{}, Errorf(CodeLineNotActive, "the line %s is deactivated", req.ICCID)
		}
		l.allowances = req.Allowances
		return struct{}{}, nil
	})
	return err
}

// SetAddonAllowance records an add-on's allowances on the line, or takes
// them away when it ended.
func (s *Simulator) SetAddonAllowance(ctx context.Context, req AddonAllowanceRequest) error {
	_, err := call(ctx, s, OpAddonAllowance, req.Meta, req, req.ICCID, func() (struct{}, error) {
		if req.SubscriptionAddon == "" {
			return struct{}{}, Errorf(CodeInvalidRequest, "subscriptionAddon is required")
		}
		l, err := s.line(req.Meta, req.ICCID, req.PhoneNumber)
		if err != nil {
			return struct{}{}, err
		}
		if !req.Active {
			delete(l.addons, req.SubscriptionAddon)
			return struct{}{}, nil
		}
		if l.stateAt(req.Now) == lineDeactivated {
			return struct{}{}, Errorf(CodeLineNotActive, "the line %s is deactivated", req.ICCID)
		}
		if l.addons == nil {
			l.addons = map[string]AddonAllowanceRequest{}
		}
		req.Meta = Meta{}
		l.addons[req.SubscriptionAddon] = req
		return struct{}{}, nil
	})
	return err
}

// LineAllowances are what the simulator holds for a line: the plan's
// allowances, and those of its active add-ons by subscription add-on id.
func (s *Simulator) LineAllowances(iccid string) (Allowances, map[string]Allowances) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.lines[iccid]
	if !ok {
		return Allowances{}, nil
	}
	addons := map[string]Allowances{}
	for id, a := range l.addons {
		addons[id] = a.Allowances
	}
	return l.allowances, addons
}

// PortOutCredentials issues an account number and PIN for the line.
func (s *Simulator) PortOutCredentials(ctx context.Context, req LineRequest) (PortOutCredentials, error) {
	return call(ctx, s, OpPortOutCredentials, req.Meta, req, req.ICCID, func() (PortOutCredentials, error) {
		l, err := s.line(req.Meta, req.ICCID, req.PhoneNumber)
		if err != nil {
			return PortOutCredentials{}, err
		}
		if l.stateAt(req.Now) == "" {
			return PortOutCredentials{}, Errorf(CodeLineNotActive, "the line %s was never active", req.ICCID)
		}
		c := PortOutCredentials{
			AccountNumber: strconv.FormatInt(1_000_000_000+int64(s.unit("account", req.ICCID)*9_000_000_000), 10),
			PIN:           strconv.FormatInt(100_000+int64(s.unit("pin", req.ICCID, req.Key)*900_000), 10),
			ExpiresAt:     req.Now.Add(time.Duration(s.Profile.PortOutValidity)),
		}
		po := &issuedPortOut{Project: req.Project, PhoneNumber: req.PhoneNumber, AccountNumber: c.AccountNumber, PINHash: hashPIN(c.PIN), ExpiresAt: c.ExpiresAt}
		raw, _ := json.Marshal(po)
		if err := s.remember(ctx, memoryPortOuts, req.ICCID, raw); err != nil {
			return PortOutCredentials{}, err
		}
		s.portOuts[req.ICCID] = po
		return c, nil
	})
}
