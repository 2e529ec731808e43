package api

import (
	"context"
	"net/http"
	"time"

	"cellgate/internal/consent"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/portout"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// portOutRoutes are the port-outs, the consent requests that may gate
// them, and the testing endpoint that plays the carrier taking a number
// (docs/porting.md, docs/testing.md).
func (s *Server) portOutRoutes() {
	s.write("POST /projects/{project}/portOuts", http.StatusCreated, s.createPortOut)
	s.read("GET /projects/{project}/portOuts", s.listPortOuts)
	s.read("GET /projects/{project}/portOuts/{portOut}", readByID(s, "portOut", "portOut", portout.Get))
	s.read("GET /projects/{project}/portOuts/{portOut}/credentials", readByID(s, "portOut", "portOut", portout.GetCredentials))
	s.read("GET /projects/{project}/consentRequests", s.listConsentRequests)
	s.read("GET /projects/{project}/consentRequests/{consentRequest}", readByID(s, "consentRequest", "consentRequest", consent.Get))
	s.write("POST /projects/{project}/consentRequests/{consentRequest}/cancel", http.StatusOK, s.cancelConsentRequest)
	s.handle("POST /consentRequests/approve", s.decideConsent(true))
	s.handle("POST /consentRequests/reject", s.decideConsent(false))
	s.outsideTx("POST /testing/projects/{project}/portOuts/{portOut}/complete", s.completePortOut)
}

func (s *Server) createPortOut(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in portout.CreateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return s.platform.Lines.PortOuts.Create(rq.ctx, tx, rq.project, in, s.source, now)
}

func (s *Server) listPortOuts(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("subscription", "status")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f portout.Filter
	if f.Subscription, err = q.id("subscription"); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", portout.Statuses...); err != nil {
		return nil, err
	}
	return listOf(portout.List(rq.ctx, s.db, rq.project, f, p))
}

func (s *Server) listConsentRequests(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("subject", "user", "status")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f consent.Filter
	if f.Subject, err = q.id("subject"); err != nil {
		return nil, err
	}
	if f.User, err = q.id("user"); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", consent.Statuses...); err != nil {
		return nil, err
	}
	return listOf(consent.List(rq.ctx, s.db, rq.project, f, p))
}

// cancelConsentRequest withdraws a pending request: the port-out waiting
// for it fails with consentRequestCanceled.
func (s *Server) cancelConsentRequest(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "consentRequest", "consentRequest")
	if err != nil {
		return nil, err
	}
	if _, err := consent.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var none struct{}
	if err := rq.decodeOptional(&none); err != nil {
		return nil, err
	}
	return s.platform.Lines.PortOuts.CancelConsent(rq.ctx, tx, rq.project, id, now)
}

// consentDecision is the body of the consent endpoints: the token the
// user got. The token is the credential, so these routes take no API key
// (like GET /qr/{file}); it travels in the body, which no log shows.
type consentDecision struct {
	Token string `json:"token"`
}

// decideConsent answers a consent request with the user's token.
func (s *Server) decideConsent(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := outbound.Track(r.Context())
		var res *consent.Request
		err := func() error {
			if _, err := parseQuery(r); err != nil {
				return err
			}
			body, err := readBody(r, s.limit)
			if err != nil {
				return err
			}
			var in consentDecision
			if err := decodeJSON(body, &in, true); err != nil {
				return err
			}
			if in.Token == "" {
				return errs.Invalid("consentTokenInvalid", "The consent token is not valid.")
			}
			return s.db.InTx(ctx, func(tx *store.Tx) error {
				res, err = s.platform.Lines.PortOuts.Decide(ctx, tx, in.Token, approve, func(project string) (time.Time, error) {
					return projects.Now(ctx, tx, project)
				})
				return err
			})
		}()
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		if err := s.platform.Outbound.RunTracked(ctx); err != nil {
			s.log.ErrorContext(ctx, "outbound operations after a consent decision", "error", err)
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// completePortOut plays the recipient carrier on a simulated provider:
// it presents the issued port-out's credentials to the simulator, which
// lets the number go and reports it as its portOut.completed callback;
// the callback is applied as one from an adapter would be.
func (s *Server) completePortOut(rq *request) (any, error) {
	id, err := pathID(rq.Request, "portOut", "portOut")
	if err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	provider, iccid, _, err := portout.Line(rq.ctx, s.db, rq.project, id, now)
	if err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var none struct{}
	if err := rq.decodeOptional(&none); err != nil {
		return nil, err
	}
	sim, ok := s.platform.Carriers.Simulator(provider)
	if !ok {
		return nil, errs.Invalid("providerNotSimulated", "The port-out's provider %s is not a built-in simulator; its carrier reports the number leaving with a portOut.completed callback.", provider)
	}
	creds, err := portout.GetCredentials(rq.ctx, s.db, rq.project, id)
	if err != nil {
		return nil, err
	}
	cb, err := sim.PortAway(rq.ctx, network.PortAwayRequest{Meta: network.Meta{Project: rq.project, Now: now}, ICCID: iccid,
		AccountNumber: creds.AccountNumber, AccountPIN: creds.AccountPin})
	if err != nil {
		if e, ok := network.AsError(err); ok {
			return nil, errs.Conflict("portOutCredentialsRefused", "The carrier refused the credentials: %s.", e.Message)
		}
		return nil, err
	}
	ctx := events.WithActor(rq.ctx, events.System)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return s.applyCallback(ctx, tx, provider, cb, now)
	})
	if err != nil {
		return nil, err
	}
	return portout.Get(rq.ctx, s.db, rq.project, id)
}

// applyPortOutCallback: the carrier let a number go with its port-out
// credentials.
func (s *Server) applyPortOutCallback(ctx context.Context, tx *store.Tx, provider string, cb network.Callback, now time.Time) error {
	return s.platform.Lines.PortedOut(ctx, tx, cb.Project, provider, cb.PhoneNumber, now)
}
