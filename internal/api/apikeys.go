package api

import (
	"time"

	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// apiKeyRoutes registers the project's API keys: listed by prefix and last
// use, created with the secret shown once, revoked at once everywhere.
func (s *Server) apiKeyRoutes() {
	s.write("POST /projects/{project}/apiKeys", 201, s.createAPIKey)
	s.read("GET /projects/{project}/apiKeys", s.listAPIKeys)
	s.read("GET /projects/{project}/apiKeys/{apiKey}", readByID(s, "apiKey", "apiKey", projects.GetKey))
	s.write("POST /projects/{project}/apiKeys/{apiKey}/revoke", 200, s.revokeAPIKey)
}

// apiKeyInput is the body of POST /apiKeys.
type apiKeyInput struct {
	Name string `json:"name"`
}

// createdAPIKey is the answer to a creation: the key and, this once, its
// secret.
type createdAPIKey struct {
	*projects.Key
	Secret string `json:"secret"`
}

func (s *Server) createAPIKey(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in apiKeyInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	k, secret, err := projects.CreateKey(rq.ctx, tx, rq.project, in.Name, now)
	if err != nil {
		return nil, err
	}
	return createdAPIKey{Key: k, Secret: secret}, nil
}

func (s *Server) listAPIKeys(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams()...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	return listOf(projects.ListKeys(rq.ctx, s.db, rq.project, p))
}

// revokeAPIKey checks the path before the body, which may be absent or {}.
func (s *Server) revokeAPIKey(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "apiKey", "apiKey")
	if err != nil {
		return nil, err
	}
	if _, err := projects.GetKey(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var none struct{}
	if err := rq.decodeOptional(&none); err != nil {
		return nil, err
	}
	return projects.RevokeKey(rq.ctx, tx, rq.project, id, now)
}
