package api

import (
	"time"

	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// listProjects lists the projects the key can see: its own.
func (s *Server) listProjects(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, paginationParams...)
	if err != nil {
		return nil, err
	}
	if _, err := q.page(); err != nil {
		return nil, err
	}
	p, err := projects.Get(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	return newList([]*projects.Project{p}, nil, nil), nil
}

func (s *Server) getProject(rq *request) (any, error) {
	if _, err := parseQuery(rq.Request); err != nil {
		return nil, err
	}
	return projects.Get(rq.ctx, s.db, rq.project)
}

func (s *Server) updateProject(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in projects.UpdateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return projects.Update(rq.ctx, tx, rq.project, in, now)
}
