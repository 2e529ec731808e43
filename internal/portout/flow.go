package portout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"cellgate/internal/consent"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/porting"
	"cellgate/internal/projects"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/timeline"
	"cellgate/internal/validate"
)

// OpCredentials asks the carrier for the credentials (outbound operation,
// docs/outbound.md); its subject is the port-out, and its payload names
// it again and holds nothing else.
const OpCredentials = "carrier.portOutCredentials"

// KindExpire is the timer that ends issued credentials at their expiry.
const KindExpire = "portOut.expire"

type ref struct {
	PortOut string `json:"portOut"`
}

// CreateInput is the body of POST /portOuts.
type CreateInput struct {
	Subscription string `json:"subscription"`
}

// Create starts a port-out of the subscription's number: processing and
// on its way to the carrier, or initiated until the user consents when
// the project asks for consent to port-outs. publicURL is where the
// consent email's link points.
func (s *Service) Create(ctx context.Context, tx *store.Tx, project string, in CreateInput, publicURL string, now time.Time) (*PortOut, error) {
	if err := validate.Required("subscription", in.Subscription); err != nil {
		return nil, err
	}
	p, err := projects.Get(ctx, tx, project)
	if err != nil {
		return nil, err
	}
	sub, err := subscriptions.Get(ctx, tx, project, in.Subscription, now)
	if errs.IsKind(err, errs.KindNotFound) {
		return nil, errs.Invalid("subscriptionNotFound", "subscription %q is not a subscription of this project.", in.Subscription)
	}
	if err != nil {
		return nil, err
	}
	if open, err := porting.OpenFor(ctx, tx, project, sub.ID); err != nil || open {
		if err == nil {
			err = errs.Conflict("portOutConflictsWithPorting", "The subscription %s waits for a porting of its number; it cannot be ported out before the porting finishes.", sub.ID)
		}
		return nil, err
	}
	if err := eligible(sub, now); err != nil {
		return nil, err
	}
	r := &record{ID: ids.New(Prefix), Project: project, Subscription: sub.ID, User: sub.User.ID, Provider: sub.Plan.Provider,
		PhoneNumber: *sub.PhoneNumber, Status: StatusProcessing, CreatedAt: now}
	if p.Requires(projects.ConsentPortOut) {
		r.Status = StatusInitiated
	}
	if err := insert(ctx, tx, r); err != nil {
		return nil, err
	}
	if r.Status == StatusInitiated {
		if _, err := consent.Ask(ctx, tx, p, r.User, projects.ConsentPortOut, r.ID, publicURL, now); err != nil {
			return nil, err
		}
	} else if err := s.request(ctx, tx, r, now); err != nil {
		return nil, err
	}
	return r.view(), events.Record(ctx, tx, project, "portOut.created", r.ID, r.view(), now)
}

// eligible holds the reference's rule: the SIM is active or inactive, the
// subscription was activated once, and it ended at most 30 days ago (and
// not because its number left).
func eligible(sub *subscriptions.Subscription, now time.Time) error {
	switch {
	case sub.ActivatedAt == nil || sub.PhoneNumber == nil:
		return errs.Invalid("portOutNotAllowed", "The subscription %s was never activated; only a number that was in service can be ported out.", sub.ID)
	case sub.CancellationDetails != nil && sub.CancellationDetails.Cause == subscriptions.CausePhoneNumberPortedOut:
		return errs.Invalid("portOutNotAllowed", "The number of subscription %s has been ported out already.", sub.ID)
	case sub.EndedAt != nil && now.Sub(*sub.EndedAt) > EndedWindow:
		return errs.Invalid("portOutNotAllowed", "The subscription %s ended more than 30 days ago; its number can no longer be ported out.", sub.ID)
	case sub.SIM == nil || (sub.SIM.Status != sims.StatusActive && sub.SIM.Status != sims.StatusInactive):
		return errs.Invalid("portOutNotAllowed", "The subscription %s has no active or inactive SIM.", sub.ID)
	}
	return nil
}

// request records the call that asks the carrier for credentials.
func (s *Service) request(ctx context.Context, tx *store.Tx, r *record, now time.Time) error {
	_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: OpCredentials, Subject: r.ID, Target: r.Provider,
		Payload: ref{PortOut: r.ID}, DueAt: now})
	return err
}

// Operations are the port-out's carrier calls.
func (s *Service) Operations() outbound.Kinds {
	return outbound.Kinds{OpCredentials: {Perform: s.performCredentials, Apply: s.applyCredentials, Fail: s.failCredentials,
		Stored: func(result any) any {
			// The operation keeps when the credentials expire, never the
			// credentials themselves.
			c, _ := result.(network.PortOutCredentials)
			return map[string]any{"expiresAt": c.ExpiresAt}
		}}}
}

// performCredentials asks the carrier for the line's credentials, with
// the operation's key: a repeated call after a crash gets the same ones.
func (s *Service) performCredentials(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	carrier, err := s.Carriers.Provider(op.Target)
	if err != nil {
		return nil, outbound.PermanentError(err)
	}
	r, err := load(ctx, s.DB, op.Project, op.Subject)
	if err != nil {
		return nil, err
	}
	sub, err := subscriptions.Get(ctx, s.DB, op.Project, r.Subscription, now)
	if err != nil {
		return nil, err
	}
	iccid := ""
	if sub.SIM != nil {
		iccid = sub.SIM.ICCID
	}
	return carrier.PortOutCredentials(ctx, network.LineRequest{Meta: network.Meta{Key: op.IdempotencyKey(), Project: op.Project, Now: now},
		ICCID: iccid, PhoneNumber: r.PhoneNumber})
}

// applyCredentials keeps the credentials until they expire: the port-out
// is issued (portOut.issued).
func (s *Service) applyCredentials(ctx context.Context, tx *store.Tx, op outbound.Operation, result json.RawMessage, now time.Time) error {
	var c network.PortOutCredentials
	if err := json.Unmarshal(result, &c); err != nil {
		return err
	}
	r, err := load(ctx, tx, op.Project, op.Subject)
	if err != nil || r.Status != StatusProcessing {
		return err
	}
	expires := c.ExpiresAt.UTC().Truncate(time.Second)
	r.Status, r.ExpiredAt = StatusIssued, &expires
	if err := save(ctx, tx, r, now); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE port_outs SET account_number = ?, account_pin = ? WHERE id = ?`, c.AccountNumber, c.PIN, r.ID); err != nil {
		return err
	}
	if err := timeline.Schedule(ctx, tx, r.Project, KindExpire, r.ID, expires); err != nil {
		return err
	}
	return events.Record(ctx, tx, r.Project, "portOut.issued", r.ID, r.view(), now)
}

// failCredentials: the carrier refused for good; the port-out fails (no
// failureReason: the reference's reasons are about consent).
func (s *Service) failCredentials(ctx context.Context, tx *store.Tx, op outbound.Operation, now time.Time) error {
	r, err := load(ctx, tx, op.Project, op.Subject)
	if err != nil || r.Status != StatusProcessing {
		return err
	}
	return s.finish(ctx, tx, r, StatusFailed, "", now)
}

func (s *Service) finish(ctx context.Context, tx *store.Tx, r *record, status, reason string, now time.Time) error {
	before := r.view()
	r.Status, r.FailureReason = status, reason
	if err := save(ctx, tx, r, now); err != nil {
		return err
	}
	return events.RecordUpdate(ctx, tx, r.Project, "portOut.updated", r.ID, before, r.view(), now)
}

// Handlers are the timers of port-outs and of their consent requests.
func (s *Service) Handlers() timeline.Handlers {
	return timeline.Handlers{KindExpire: s.handleExpire, consent.KindExpire: s.handleConsentExpire}
}

// handleExpire ends credentials nobody used in time.
func (s *Service) handleExpire(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	r, err := load(ctx, tx, t.Project, t.Subject)
	if err != nil || r.Status != StatusIssued || r.PortedAt != nil {
		return err
	}
	return s.finish(ctx, tx, r, StatusExpired, "", now)
}

// handleConsentExpire: nobody answered; the port-out fails with
// consentRequestCanceled.
func (s *Service) handleConsentExpire(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	c, expired, err := consent.Expire(ctx, tx, t.Project, t.Subject, now)
	if err != nil || !expired {
		return err
	}
	return s.consented(ctx, tx, c, now)
}

// Decide takes the user's answer given with a consent token: approval
// moves the port-out on (processing, and to the carrier), rejection fails
// it with consentNotGiven.
func (s *Service) Decide(ctx context.Context, tx *store.Tx, token string, approve bool, now func(project string) (time.Time, error)) (*consent.Request, error) {
	c, err := consent.ByToken(ctx, tx, token)
	if err != nil {
		return nil, err
	}
	at, err := now(c.Project)
	if err != nil {
		return nil, err
	}
	if err := consent.Decide(ctx, tx, c, approve, at); err != nil {
		return nil, err
	}
	return &c.Request, s.consented(ctx, tx, c, at)
}

// CancelConsent withdraws a pending consent request; its port-out fails
// with consentRequestCanceled.
func (s *Service) CancelConsent(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*consent.Request, error) {
	c, err := consent.Load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if err := consent.Cancel(ctx, tx, c, now); err != nil {
		return nil, err
	}
	return &c.Request, s.consented(ctx, tx, c, now)
}

// consented acts on a consent request that is no longer pending.
func (s *Service) consented(ctx context.Context, tx *store.Tx, c *consent.Record, now time.Time) error {
	if c.Action != projects.ConsentPortOut {
		return nil
	}
	r, err := load(ctx, tx, c.Project, c.Subject)
	if err != nil || r.Status != StatusInitiated {
		return err
	}
	switch c.Status {
	case consent.StatusApproved:
		if err := s.finish(ctx, tx, r, StatusProcessing, "", now); err != nil {
			return err
		}
		return s.request(ctx, tx, r, now)
	case consent.StatusRejected:
		return s.finish(ctx, tx, r, StatusFailed, FailureConsentNotGiven, now)
	}
	return s.finish(ctx, tx, r, StatusFailed, FailureConsentRequestCanceled, now)
}

// PortedAway records that the carrier let the number go to another
// carrier: the issued port-out of provider's number is done (its
// credentials are forgotten; it stays issued, and the subscription's
// subscription.ended tells the rest). It returns the subscription
// that loses its number; "" when no issued port-out has the number, and
// then nothing changes.
func (s *Service) PortedAway(ctx context.Context, tx *store.Tx, project, provider, phone string, now time.Time) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM port_outs WHERE project_id = ? AND provider = ? AND phone_number = ? AND status = ?
		AND ported_at IS NULL`, project, provider, phone, StatusIssued).Scan(&id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		return "", err
	}
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return "", err
	}
	r.PortedAt = &now
	if err := timeline.Cancel(ctx, tx, KindExpire, r.ID); err != nil {
		return "", err
	}
	return r.Subscription, save(ctx, tx, r, now)
}
