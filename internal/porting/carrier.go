package porting

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

// A porting reaches the recipient carrier through outbound operations
// (docs/outbound.md), all with the porting as subject, so they run in the
// order decided: send (submit, or update after a decline), then status
// checks at the time the carrier expects to finish, or a cancel.
const (
	OpSend   = "carrier.portingSend"
	OpCheck  = "carrier.portingCheck"
	OpCancel = "carrier.portingCancel"
)

// checkAgain is how long to wait for a carrier that gives no expected
// completion time.
const checkAgain = 24 * time.Hour

// ref is the payload of a porting operation: only the id. The details,
// PIN included, are read when the call is made, so no PIN is ever stored
// with an operation.
type ref struct {
	Porting string `json:"porting"`
}

// Outcome is what applying a carrier's answer did.
type Outcome struct {
	// Completed is set when the number has moved: the subscription can
	// activate with it.
	Completed    bool
	Subscription string
	PhoneNumber  string
}

func refOf(op outbound.Operation) (string, error) {
	var p ref
	if err := op.Decode(&p); err != nil {
		return "", outbound.PermanentError(err)
	}
	return p.Porting, nil
}

// PerformSend submits the porting, or updates it at the carrier after a
// decline. The data is read now, outside any transaction; it cannot change
// until the answer is applied (PATCH refuses a pending porting), so a
// repeated attempt sends the same request under the same key.
func (s *Service) PerformSend(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	id, err := refOf(op)
	if err != nil {
		return nil, err
	}
	carrier, err := s.Carriers.Provider(op.Target)
	if err != nil {
		return nil, outbound.PermanentError(err)
	}
	r, err := load(ctx, s.DB, op.Project, id)
	if err != nil {
		return nil, err
	}
	pin, err := pinOf(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	var iccid sql.NullString
	err = s.DB.QueryRow(ctx, `SELECT m.iccid FROM subscriptions s JOIN sims m ON m.id = s.sim_id WHERE s.id = ?`, r.Subscription).Scan(&iccid)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	req := network.PortingRequest{Meta: network.Meta{Key: op.IdempotencyKey(), Project: op.Project, Now: now},
		Reference: r.ID, PhoneNumber: r.PhoneNumber, ICCID: iccid.String, DonorProvider: donors[r.DonorProvider].Code,
		AccountNumber: r.AccountNumber, AccountPIN: pin, FirstName: r.FirstName, LastName: r.LastName}
	if r.Address != nil && r.Address.PostalCode != nil {
		req.PostalCode = *r.Address.PostalCode
	}
	if r.Submissions == 0 {
		return carrier.SubmitPorting(ctx, req)
	}
	return carrier.UpdatePorting(ctx, req)
}

// PerformCheck reads where the porting stands at the carrier.
func (s *Service) PerformCheck(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	return s.refCall(ctx, op, now, network.Provider.PortingStatus)
}

// PerformCancel withdraws the porting at the carrier.
func (s *Service) PerformCancel(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	return s.refCall(ctx, op, now, network.Provider.CancelPorting)
}

func (s *Service) refCall(ctx context.Context, op outbound.Operation, now time.Time,
	call func(network.Provider, context.Context, network.PortingRef) (network.PortingStatus, error)) (any, error) {
	id, err := refOf(op)
	if err != nil {
		return nil, err
	}
	carrier, err := s.Carriers.Provider(op.Target)
	if err != nil {
		return nil, outbound.PermanentError(err)
	}
	return call(carrier, ctx, network.PortingRef{Meta: network.Meta{Key: op.IdempotencyKey(), Project: op.Project, Now: now}, Reference: id})
}

// ApplySent records that the carrier has the porting (requested,
// porting.requested) and follows its answer. A porting canceled while the
// call ran is withdrawn at the carrier again.
func (s *Service) ApplySent(ctx context.Context, tx *store.Tx, op outbound.Operation, result json.RawMessage, now time.Time) (Outcome, error) {
	r, st, err := s.answer(ctx, tx, op, result)
	if err != nil {
		return Outcome{}, err
	}
	if r.Status != StatusPending {
		if !open(r.Status) {
			_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: OpCancel, Subject: r.ID, Target: r.Provider,
				Payload: ref{Porting: r.ID}, DueAt: now})
			return Outcome{}, err
		}
		return Outcome{}, nil
	}
	r.Status, r.LastRequestedAt = StatusRequested, &now
	r.Submissions++
	if err := save(ctx, tx, r, false, now); err != nil {
		return Outcome{}, err
	}
	if err := events.Record(ctx, tx, r.Project, "porting.requested", r.ID, r.view(s.Carriers), now); err != nil {
		return Outcome{}, err
	}
	return s.follow(ctx, tx, r, st, now)
}

// ApplyCheck follows the carrier's status of a requested porting.
func (s *Service) ApplyCheck(ctx context.Context, tx *store.Tx, op outbound.Operation, result json.RawMessage, now time.Time) (Outcome, error) {
	r, st, err := s.answer(ctx, tx, op, result)
	if err != nil || r.Status != StatusRequested {
		return Outcome{}, err
	}
	return s.follow(ctx, tx, r, st, now)
}

// FailSent is the end of a send the carrier refused for good: the porting
// is declined, so that correcting it tries again.
func (s *Service) FailSent(ctx context.Context, tx *store.Tx, op outbound.Operation, now time.Time) error {
	id, err := refOf(op)
	if err != nil {
		return err
	}
	r, err := load(ctx, tx, op.Project, id)
	if err != nil || r.Status != StatusPending {
		return err
	}
	return s.decline(ctx, tx, r, network.PortingStatus{Status: network.PortingDeclined, DeclineCode: "portingDeclined",
		DeclineMessage: "The carrier did not take the porting request."}, now)
}

func (s *Service) answer(ctx context.Context, tx *store.Tx, op outbound.Operation, result json.RawMessage) (*Record, network.PortingStatus, error) {
	var st network.PortingStatus
	if err := json.Unmarshal(result, &st); err != nil {
		return nil, st, err
	}
	id, err := refOf(op)
	if err != nil {
		return nil, st, err
	}
	r, err := load(ctx, tx, op.Project, id)
	return r, st, err
}

// ApplyCallback follows a carrier's callback about a porting of
// provider; one about a porting that is not requested changes nothing.
func (s *Service) ApplyCallback(ctx context.Context, tx *store.Tx, project, provider string, st network.PortingStatus, now time.Time) (Outcome, error) {
	r, err := load(ctx, tx, project, st.Reference)
	if err != nil || r.Provider != provider || r.Status != StatusRequested {
		return Outcome{}, err
	}
	return s.follow(ctx, tx, r, st, now)
}

// follow moves a requested porting on with the carrier's status: still
// pending is checked again when the carrier expects to be done.
func (s *Service) follow(ctx context.Context, tx *store.Tx, r *Record, st network.PortingStatus, now time.Time) (Outcome, error) {
	switch st.Status {
	case network.PortingPending:
		due := st.CompletesAt
		if !due.After(now) {
			due = now.Add(checkAgain)
		}
		_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: OpCheck, Subject: r.ID, Target: r.Provider,
			Payload: ref{Porting: r.ID}, DueAt: due})
		return Outcome{}, err
	case network.PortingCompleted:
		return s.complete(ctx, tx, r, now)
	case network.PortingDeclined:
		return Outcome{}, s.decline(ctx, tx, r, st, now)
	case network.PortingCanceled:
		_, err := s.finish(ctx, tx, r, StatusCanceled, now)
		return Outcome{}, err
	}
	return Outcome{}, fmt.Errorf("porting: %s: the carrier answered status %q", r.ID, st.Status)
}

func (s *Service) complete(ctx context.Context, tx *store.Tx, r *Record, now time.Time) (Outcome, error) {
	r.Status, r.CompletedAt, r.AccountPIN = StatusCompleted, &now, ""
	if err := timeline.Cancel(ctx, tx, KindExpire, r.ID); err != nil {
		return Outcome{}, err
	}
	if err := save(ctx, tx, r, true, now); err != nil {
		return Outcome{}, err
	}
	if err := events.Record(ctx, tx, r.Project, "porting.completed", r.ID, r.view(s.Carriers), now); err != nil {
		return Outcome{}, err
	}
	return Outcome{Completed: true, Subscription: r.Subscription, PhoneNumber: r.PhoneNumber}, nil
}

func (s *Service) decline(ctx context.Context, tx *store.Tx, r *Record, st network.PortingStatus, now time.Time) error {
	code := st.DeclineCode
	if !isDeclineCode(code) {
		code = "portingDeclined"
	}
	r.Status, r.DeclinedCode, r.DeclinedMessage, r.LastDeclinedAt = StatusDeclined, code, st.DeclineMessage, &now
	r.DeclinedAttempts++
	if err := save(ctx, tx, r, false, now); err != nil {
		return err
	}
	return events.Record(ctx, tx, r.Project, "porting.declined", r.ID, r.view(s.Carriers), now)
}

func isDeclineCode(c string) bool {
	for _, d := range network.DeclineCodes {
		if d == c {
			return true
		}
	}
	return false
}
