package api

import (
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/store"
)

func (s *Server) createPlan(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in catalog.PlanInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return catalog.CreatePlan(rq.ctx, tx, rq.project, in, s.platform.Carriers.IDs(), now)
}

func (s *Server) listPlans(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("simType", "status", "provider")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f catalog.PlanFilter
	if f.SIMType, err = q.enum("simType", catalog.SIMTypeESIM, catalog.SIMTypePSIM); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", catalog.StatusDraft, catalog.StatusPending, catalog.StatusAvailable, catalog.StatusArchived); err != nil {
		return nil, err
	}
	if f.Provider, err = q.enum("provider", s.platform.Carriers.IDs()...); err != nil {
		return nil, err
	}
	return listOf(catalog.ListPlans(rq.ctx, s.db, rq.project, f, p))
}

func (s *Server) updatePlan(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "plan", "plan")
	if err != nil {
		return nil, err
	}
	if _, err := catalog.LockPlan(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in catalog.PlanInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return catalog.UpdatePlan(rq.ctx, tx, rq.project, id, in, s.platform.Carriers.IDs(), now)
}
