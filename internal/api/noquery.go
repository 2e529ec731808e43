package api

// noQuery rejects any query parameter on an endpoint that takes none. It
// is called after the path has been resolved, so that a missing resource
// answers 404 before a stray parameter answers 422.
func (rq *request) noQuery() error {
	_, err := parseQuery(rq.Request)
	return err
}
