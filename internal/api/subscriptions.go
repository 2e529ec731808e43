package api

import (
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/validate"
)

func (s *Server) createSubscription(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in subscriptions.CreateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return s.platform.Lines.Create(rq.ctx, tx, rq.project, in, now)
}

func (s *Server) getSubscription(rq *request) (any, error) {
	id, err := pathID(rq.Request, "subscription", "subscription")
	if err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	sub, err := subscriptions.Get(rq.ctx, s.db, rq.project, id, now)
	if err != nil {
		return nil, err
	}
	if rq.endUser != "" && (sub.User == nil || sub.User.ID != rq.endUser) {
		return nil, errs.NotFound("subscription", id)
	}
	return sub, rq.noQuery()
}

func (s *Server) listSubscriptions(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("user", "status", "plan", "phoneNumber")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f subscriptions.Filter
	if f.User, err = q.id("user"); err != nil {
		return nil, err
	}
	if rq.endUser != "" {
		if f.User != "" && f.User != rq.endUser {
			return nil, errEmbedScope
		}
		f.User = rq.endUser
	}
	if f.Plan, err = q.id("plan"); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", subscriptions.StatusPending, subscriptions.StatusInitiated, subscriptions.StatusActive,
		subscriptions.StatusRestricted, subscriptions.StatusEnded); err != nil {
		return nil, err
	}
	if f.PhoneNumber = q.get("phoneNumber"); f.PhoneNumber != "" {
		if err := validate.PhoneNumber("phoneNumber", f.PhoneNumber); err != nil {
			return nil, err
		}
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	return listOf(subscriptions.List(rq.ctx, s.db, rq.project, f, p, now))
}

// subscriptionAction wraps the endpoints that act on one subscription: the
// path is checked before the body, as everywhere.
func (s *Server) subscriptionAction(act func(rq *request, tx *store.Tx, id string, now time.Time) (any, error)) writeHandler {
	return func(rq *request, tx *store.Tx, now time.Time) (any, error) {
		id, err := pathID(rq.Request, "subscription", "subscription")
		if err != nil {
			return nil, err
		}
		if err := subscriptions.Exists(rq.ctx, tx, rq.project, id); err != nil {
			return nil, err
		}
		if err := rq.noQuery(); err != nil {
			return nil, err
		}
		return act(rq, tx, id, now)
	}
}

func (s *Server) updateSubscription(rq *request, tx *store.Tx, id string, now time.Time) (any, error) {
	var in subscriptions.UpdateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return s.platform.Subscriptions.Update(rq.ctx, tx, rq.project, id, in, now)
}

func (s *Server) cancelSubscription(rq *request, tx *store.Tx, id string, now time.Time) (any, error) {
	var in subscriptions.CancelInput
	if err := rq.decodeOptional(&in); err != nil {
		return nil, err
	}
	return s.platform.Lines.Cancel(rq.ctx, tx, rq.project, id, in, now)
}

func (s *Server) resumeSubscription(rq *request, tx *store.Tx, id string, now time.Time) (any, error) {
	var none struct{}
	if err := rq.decodeOptional(&none); err != nil {
		return nil, err
	}
	return s.platform.Lines.Resume(rq.ctx, tx, rq.project, id, now)
}

func (s *Server) endSubscription(rq *request, tx *store.Tx, id string, now time.Time) (any, error) {
	var in subscriptions.CancelInput
	if err := rq.decodeOptional(&in); err != nil {
		return nil, err
	}
	return s.platform.Lines.End(rq.ctx, tx, rq.project, id, in, now)
}
