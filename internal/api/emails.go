package api

import (
	"cellgate/internal/email"
	"cellgate/internal/errs"
	"cellgate/internal/projects"
)

// emailRoutes serve a test project's captured emails.
func (s *Server) emailRoutes() {
	s.read("GET /testing/projects/{project}/emails", s.listEmails)
}

// listEmails lists the messages a test project would have sent, newest
// first; a live project's are sent, not kept for reading.
func (s *Server) listEmails(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams()...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	proj, err := projects.Get(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	if !proj.IsTest() {
		return nil, errs.PermissionDenied("liveProjectEmails", "Project %q is a live project: its emails are sent, and only test projects capture them.", proj.ID)
	}
	return listOf(email.List(rq.ctx, s.db, rq.project, p))
}
