package api

import (
	"strconv"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/usage"
)

// usageRoutes are the usage records and balances of a subscription, and
// the test helpers that make usage happen (docs/usage.md).
func (s *Server) usageRoutes() {
	s.read("GET /projects/{project}/subscriptions/{subscription}/usage", s.listUsage)
	s.read("GET /projects/{project}/subscriptions/{subscription}/usageBalances", s.listUsageBalances)
	s.write("POST /testing/projects/{project}/subscriptions/{subscription}/usage", 200, s.subscriptionAction(s.simulateUsage))
	s.write("POST /testing/projects/{project}/subscriptions/{subscription}/trafficModel", 200, s.subscriptionAction(s.setTrafficModel))
}

// usageQuery reads period, or start and end: RFC 3339, end after start,
// at most usage.MaxRange apart; start alone runs to now.
func usageQuery(q query, now time.Time) (usage.Query, error) {
	var out usage.Query
	if v := q.get("period"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || strings.Trim(v, "0123456789") != "" || n < 1 || n > 1_000_000 {
			return out, errs.Invalid("periodInvalid", "Query parameter period must be a period number from 1; got %q.", v)
		}
		out.Period = n
	}
	at := func(name string) (time.Time, error) {
		v := q.get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return t, errs.Invalid("timeInvalid", "Query parameter %s must be an RFC 3339 date-time such as 2026-01-31T00:00:00Z; got %q.", name, v)
		}
		return t.UTC(), nil
	}
	var err error
	if out.Start, err = at("start"); err != nil {
		return out, err
	}
	if out.End, err = at("end"); err != nil {
		return out, err
	}
	switch {
	case out.Period != 0 && (!out.Start.IsZero() || !out.End.IsZero()):
		return out, errs.Invalid("usageRangeInvalid", "Give either period or start and end, not both.")
	case !out.End.IsZero() && out.Start.IsZero():
		return out, errs.Invalid("usageRangeInvalid", "Query parameter end needs start.")
	case !out.Start.IsZero() && out.End.IsZero():
		out.End = now
	}
	if !out.Start.IsZero() {
		if !out.End.After(out.Start) {
			return out, errs.Invalid("usageRangeInvalid", "The end of the range (%s) must be after its start (%s).",
				out.End.Format(time.RFC3339), out.Start.Format(time.RFC3339))
		}
		if out.End.Sub(out.Start) > usage.MaxRange {
			return out, errs.Invalid("usageRangeTooLong", "A usage range spans at most 366 days.")
		}
	}
	return out, nil
}

func (s *Server) listUsage(rq *request) (any, error) {
	id, err := pathID(rq.Request, "subscription", "subscription")
	if err != nil {
		return nil, err
	}
	if err := subscriptions.Exists(rq.ctx, s.db, rq.project, id); err != nil {
		return nil, err
	}
	q, err := parseQuery(rq.Request, "period", "start", "end")
	if err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	uq, err := usageQuery(q, now)
	if err != nil {
		return nil, err
	}
	recs, err := usage.Records(rq.ctx, s.db, rq.project, id, uq)
	if err != nil {
		return nil, err
	}
	return newList(recs, nil, nil), nil
}

func (s *Server) listUsageBalances(rq *request) (any, error) {
	id, err := pathID(rq.Request, "subscription", "subscription")
	if err != nil {
		return nil, err
	}
	if err := subscriptions.Exists(rq.ctx, s.db, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	bs, err := usage.Balances(rq.ctx, s.db, rq.project, id)
	if err != nil {
		return nil, err
	}
	return newList(bs, nil, nil), nil
}

func (s *Server) simulateUsage(rq *request, tx *store.Tx, id string, now time.Time) (any, error) {
	var in usage.SimulateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return s.platform.Usage.Simulate(rq.ctx, tx, rq.project, id, in, now)
}

func (s *Server) setTrafficModel(rq *request, tx *store.Tx, id string, now time.Time) (any, error) {
	var in usage.ModelInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return usage.SetModel(rq.ctx, tx, rq.project, id, in, now)
}
