package api

import (
	"context"
	"strings"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/store"
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

// getEvent reads an event with this server as its source.
func (s *Server) getEvent(ctx context.Context, q store.Querier, project, id string) (*events.Event, error) {
	return events.Get(ctx, q, project, id, s.source)
}
