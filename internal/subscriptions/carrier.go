package subscriptions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

// The carrier hears of a line's changes through outbound operations: the
// transaction that changes the subscription records the call, and the
// outbound worker makes it after commit (docs/outbound.md). Nothing here
// runs while a transaction is open except Apply.

// Operation kinds of the lifecycle.
const (
	OpActivate   = "carrier.activate"
	OpDeactivate = "carrier.deactivate"
	OpRestrict   = "carrier.restrict"
	OpRestore    = "carrier.restore"
)

// line is the payload of a line operation: what the carrier knows the line
// by, and the subscription it serves.
type line struct {
	Subscription string `json:"subscription"`
	SIM          string `json:"sim"`
	ICCID        string `json:"iccid"`
	PhoneNumber  string `json:"phoneNumber"`
}

// tellCarrier records a call about r's line for after commit. Its subject
// is the SIM: the calls about one SIM (its eSIM registration, then each
// subscription's activation and deactivation) reach the carrier in turn.
func tellCarrier(ctx context.Context, tx *store.Tx, r *record, sim *sims.Record, kind string, now time.Time) error {
	_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: kind, Subject: sim.ID, Target: sim.Provider,
		Payload: line{Subscription: r.ID, SIM: sim.ID, ICCID: sim.ICCID, PhoneNumber: r.PhoneNumber}, DueAt: now})
	return err
}

// Operations are the lifecycle's outbound operation kinds.
func (s *Service) Operations() outbound.Kinds {
	kinds := outbound.Kinds{
		OpActivate:   {Perform: s.performActivate, Apply: s.applyActivate},
		OpDeactivate: {Perform: s.lineCall(network.Provider.Deactivate), Apply: noConsequence},
		OpRestrict:   {Perform: s.lineCall(network.Provider.Restrict), Apply: noConsequence},
		OpRestore:    {Perform: s.lineCall(network.Provider.Restore), Apply: noConsequence},
	}
	for kind, k := range s.portingOperations() {
		kinds[kind] = k
	}
	for kind, k := range s.addonOperations() {
		kinds[kind] = k
	}
	return kinds
}

// request builds the carrier request of a line operation.
func (s *Service) request(op outbound.Operation, now time.Time) (network.Provider, network.LineRequest, error) {
	l, err := lineOf(op)
	if err != nil {
		return nil, network.LineRequest{}, err
	}
	carrier, err := s.Carriers.Provider(op.Target)
	if err != nil {
		return nil, network.LineRequest{}, outbound.PermanentError(err)
	}
	return carrier, network.LineRequest{Meta: network.Meta{Key: op.IdempotencyKey(), Project: op.Project, Now: now}, ICCID: l.ICCID, PhoneNumber: l.PhoneNumber}, nil
}

// lineCall performs a call whose success changes nothing more: the
// subscription already shows the change it asked for.
func (s *Service) lineCall(call func(network.Provider, context.Context, network.LineRequest) error) func(context.Context, outbound.Operation, time.Time) (any, error) {
	return func(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
		carrier, req, err := s.request(op, now)
		if err != nil {
			return nil, err
		}
		return nil, call(carrier, ctx, req)
	}
}

func lineOf(op outbound.Operation) (line, error) {
	var l line
	if err := op.Decode(&l); err != nil {
		return l, outbound.PermanentError(err)
	}
	return l, nil
}

func noConsequence(context.Context, *store.Tx, outbound.Operation, json.RawMessage, time.Time) error {
	return nil
}

// activation is the carrier's answer to an activation request.
type activation struct {
	ReadyAt time.Time `json:"readyAt"`
}

func (s *Service) performActivate(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	carrier, req, err := s.request(op, now)
	if err != nil {
		return nil, err
	}
	a, err := carrier.Activate(ctx, req)
	return activation{ReadyAt: a.ReadyAt}, err
}

// applyActivate schedules the activation for when the carrier confirms. A
// subscription that ended while the call ran gets its line deactivated
// again.
func (s *Service) applyActivate(ctx context.Context, tx *store.Tx, op outbound.Operation, result json.RawMessage, now time.Time) error {
	var a activation
	if err := json.Unmarshal(result, &a); err != nil {
		return err
	}
	l, err := lineOf(op)
	if err != nil {
		return err
	}
	r, err := load(ctx, tx, op.Project, l.Subscription)
	if err != nil {
		return err
	}
	switch r.Status {
	case StatusPending:
		if a.ReadyAt.IsZero() {
			return nil // the carrier calls back when it is done (ConfirmActivation)
		}
		return timeline.Schedule(ctx, tx, r.Project, KindActivate, r.ID, later(a.ReadyAt, now))
	case StatusEnded:
		sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
		if err != nil {
			return err
		}
		return tellCarrier(ctx, tx, r, sim, OpDeactivate, now)
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ConfirmActivation is a carrier's later word (a callback) that the line
// on the SIM with iccid is active: its pending subscription activates at
// now. A repeated or late callback, for a line already active or ended,
// changes nothing.
func ConfirmActivation(ctx context.Context, tx *store.Tx, project, provider, iccid string, now time.Time) error {
	var sub string
	err := tx.QueryRow(ctx, `SELECT s.id FROM subscriptions s JOIN sims m ON m.id = s.sim_id
		WHERE m.project_id = ? AND m.provider = ? AND m.iccid = ? AND s.status = 'pending'`, project, provider, iccid).Scan(&sub)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("subscriptions: line of %s: %w", iccid, err)
	}
	return timeline.Schedule(ctx, tx, project, KindActivate, sub, now)
}
