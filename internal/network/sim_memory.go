package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Memory is the simulated carrier's own storage: what it must remember
// across a restart of the process that runs it (its portings and the
// port-out credentials it issued). cellgate keeps it in its database
// (table simulator_state); it is the carrier's, not any project's.
type Memory interface {
	// Remember stores state under (provider, kind, key); nil forgets it.
	Remember(ctx context.Context, provider, kind, key string, state []byte) error
	// Recall returns everything stored for provider and kind, by key.
	Recall(ctx context.Context, provider, kind string) (map[string][]byte, error)
}

// Kinds of state a simulator remembers.
const (
	memoryPortings = "porting"
	memoryPortOuts = "portOut"
)

// savedPorting is a porting as the simulator stores it. It holds no PIN:
// an update after a restart must carry the PIN again, as cellgate's
// always does.
type savedPorting struct {
	Project     string         `json:"project"`
	Request     PortingRequest `json:"request"`
	Key         string         `json:"key"`
	Attempt     int            `json:"attempt"`
	SubmittedAt time.Time      `json:"submittedAt"`
	ResolvesAt  time.Time      `json:"resolvesAt"`
	CanceledAt  time.Time      `json:"canceledAt"`
	Outcome     string         `json:"outcome"`
	Code        string         `json:"code"`
	Message     string         `json:"message"`
}

// issuedPortOut is a port-out credential the carrier issued for a line;
// the PIN is kept as its SHA-256 only.
type issuedPortOut struct {
	Project       string    `json:"project"`
	PhoneNumber   string    `json:"phoneNumber"`
	AccountNumber string    `json:"accountNumber"`
	PINHash       string    `json:"pinHash"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

func hashPIN(pin string) string {
	h := sha256.Sum256([]byte(pin))
	return hex.EncodeToString(h[:])
}

// Attach gives the simulator its memory and takes back what it held
// before a restart. A simulator already attached keeps its first memory.
func (s *Simulator) Attach(ctx context.Context, m Memory) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.memory != nil {
		return nil
	}
	ps, err := m.Recall(ctx, s.Info.ID, memoryPortings)
	if err != nil {
		return err
	}
	for ref, raw := range ps {
		var sp savedPorting
		if err := json.Unmarshal(raw, &sp); err != nil {
			return err
		}
		sp.Request.Meta = Meta{Project: sp.Project}
		s.portings[ref] = &porting{req: sp.Request, key: sp.Key, attempt: sp.Attempt, submittedAt: sp.SubmittedAt,
			resolvesAt: sp.ResolvesAt, canceledAt: sp.CanceledAt, outcome: sp.Outcome, code: sp.Code, message: sp.Message}
	}
	pos, err := m.Recall(ctx, s.Info.ID, memoryPortOuts)
	if err != nil {
		return err
	}
	for iccid, raw := range pos {
		var po issuedPortOut
		if err := json.Unmarshal(raw, &po); err != nil {
			return err
		}
		s.portOuts[iccid] = &po
	}
	s.memory = m
	return nil
}

// Attach gives every built-in simulator of the registry its memory.
func (r *Registry) Attach(ctx context.Context, m Memory) error {
	for _, s := range r.sims {
		if err := s.Attach(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// rememberPorting stores p (without its PIN); called with s.mu held.
func (s *Simulator) rememberPorting(ctx context.Context, p *porting) error {
	if s.memory == nil {
		return nil
	}
	req := p.req
	req.AccountPIN = ""
	raw, _ := json.Marshal(savedPorting{Project: p.req.Project, Request: req, Key: p.key, Attempt: p.attempt, SubmittedAt: p.submittedAt,
		ResolvesAt: p.resolvesAt, CanceledAt: p.canceledAt, Outcome: p.outcome, Code: p.code, Message: p.message})
	return s.remember(ctx, memoryPortings, p.req.Reference, raw)
}

func (s *Simulator) remember(ctx context.Context, kind, key string, raw []byte) error {
	if s.memory == nil {
		return nil
	}
	if err := s.memory.Remember(ctx, s.Info.ID, kind, key, raw); err != nil {
		return Errorf(CodeUnavailable, "the carrier could not store its state: %v", err)
	}
	return nil
}

// PortAwayRequest is another carrier presenting a line's port-out
// credentials to take its number.
type PortAwayRequest struct {
	Meta
	ICCID         string `json:"iccid"`
	AccountNumber string `json:"accountNumber"`
	AccountPIN    string `json:"accountPin"`
}

// PortAway plays the recipient carrier: with valid, unexpired
// credentials the number leaves, the line ends, and the carrier's
// portOut.completed callback is returned for cellgate to apply. Used by
// the testing endpoint that completes a port-out (docs/testing.md).
func (s *Simulator) PortAway(ctx context.Context, req PortAwayRequest) (Callback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	po, ok := s.portOuts[req.ICCID]
	switch {
	case !ok || po.Project != req.Project || po.AccountNumber != req.AccountNumber || po.PINHash != hashPIN(req.AccountPIN):
		return Callback{}, Errorf(CodeInvalidRequest, "the port-out credentials do not match the line %s", req.ICCID)
	case !req.Now.Before(po.ExpiresAt):
		return Callback{}, Errorf(CodeInvalidRequest, "the port-out credentials of line %s expired at %s", req.ICCID, po.ExpiresAt.Format(time.RFC3339))
	}
	if err := s.remember(ctx, memoryPortOuts, req.ICCID, nil); err != nil {
		return Callback{}, err
	}
	delete(s.portOuts, req.ICCID)
	if l, ok := s.lines[req.ICCID]; ok {
		l.set(req.Now, lineDeactivated)
	}
	return Callback{Type: CallbackPortOutCompleted, Project: req.Project, OccurredAt: req.Now, ICCID: req.ICCID, PhoneNumber: po.PhoneNumber}, nil
}
