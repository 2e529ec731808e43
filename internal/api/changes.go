package api

import (
	"context"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// changeRoutes are the subscription change endpoints, the add-on catalog
// and the add-ons bought for subscriptions (docs/changes.md).
func (s *Server) changeRoutes() {
	s.addonRoutes()
	s.subscriptionAddonRoutes()
	s.write("POST /projects/{project}/subscriptionChanges", 201, s.createChange)
	s.read("GET /projects/{project}/subscriptionChanges", s.listChanges)
	s.read("GET /projects/{project}/subscriptionChanges/{subscriptionChange}", readByID(s, "subscriptionChange", "subscriptionChange", subscriptions.GetChange))
	s.write("DELETE /projects/{project}/subscriptionChanges/{subscriptionChange}", 200, s.deleteChange)
}

func (s *Server) createChange(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in subscriptions.ChangeInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return s.platform.Lines.RequestChange(rq.ctx, tx, rq.project, in, now)
}

func (s *Server) listChanges(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("subscription", "status")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f subscriptions.ChangeFilter
	if f.Subscription, err = q.id("subscription"); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", subscriptions.ChangeStatuses...); err != nil {
		return nil, err
	}
	return listOf(subscriptions.ListChanges(rq.ctx, s.db, rq.project, f, p))
}

func (s *Server) deleteChange(rq *request, tx *store.Tx, now time.Time) (any, error) {
	return s.bodilessAction(rq, tx, "subscriptionChange", subscriptions.ChangeExists, func(id string) (any, error) {
		return s.platform.Lines.DeleteChange(rq.ctx, tx, rq.project, id, now)
	})
}

// bodilessAction runs an action on one resource that takes no body: the
// path (a name that must exist) is checked before the query, and the body
// must be empty or {}.
func (s *Server) bodilessAction(rq *request, tx *store.Tx, name string, exists func(context.Context, store.Querier, string, string) error,
	act func(id string) (any, error)) (any, error) {
	id, err := pathID(rq.Request, name, name)
	if err != nil {
		return nil, err
	}
	if err := exists(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var none struct{}
	if err := rq.decodeOptional(&none); err != nil {
		return nil, err
	}
	return act(id)
}
