package api

import "cellgate/internal/console"

// consoleRoutes mounts the operator console (package console) at
// /console/: its own sessions, CSRF checks and pages, behind the same
// request ids, logs and metrics as the API. Its routes are not API routes
// (no key, no JSON), so they stay out of Routes and the OpenAPI document.
func (s *Server) consoleRoutes() {
	s.console = console.New(console.Config{DB: s.db, Platform: s.platform, Logger: s.log, PublicURL: s.source})
	s.mux.Handle("/console/", s.console)
}

// Console is the operator console the server serves at /console/.
func (s *Server) Console() *console.Console { return s.console }
