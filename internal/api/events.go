package api

import (
	"strings"

	"cellgate/internal/errs"
	"cellgate/internal/events"
)

func (s *Server) listEvents(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("type", "resource")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f events.Filter
	if t := q.get("type"); t != "" {
		for _, one := range strings.Split(t, ",") {
			full, ok := events.Normalize(strings.TrimSpace(one))
			if !ok {
				return nil, errs.Invalid("invalidEnumValue", "Query parameter type names an unknown event type %q.", one)
			}
			f.Types = append(f.Types, full)
		}
	}
	if f.Subject, err = q.id("resource"); err != nil {
		return nil, err
	}
	return listOf(events.List(rq.ctx, s.db, rq.project, f, p, s.source))
}

func (s *Server) getEvent(rq *request) (any, error) {
	id, err := pathID(rq.Request, "event", "event")
	if err != nil {
		return nil, err
	}
	e, err := events.Get(rq.ctx, s.db, rq.project, id, s.source)
	if err != nil {
		return nil, err
	}
	return e, rq.noQuery()
}
