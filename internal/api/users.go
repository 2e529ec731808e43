package api

import (
	"time"

	"cellgate/internal/store"
	"cellgate/internal/users"
)

func (s *Server) createUser(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in users.CreateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return users.Create(rq.ctx, tx, rq.project, in, now)
}

func (s *Server) listUsers(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, paginationParams...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	return listOf(users.List(rq.ctx, s.db, rq.project, p))
}

// searchUsersInput is the body of POST /users/search.
type searchUsersInput struct {
	Email string `json:"email"`
}

// searchUsers is a POST only so that the email stays out of URLs and logs;
// it changes nothing.
func (s *Server) searchUsers(rq *request, tx *store.Tx, _ time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in searchUsersInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	found, err := users.SearchByEmail(rq.ctx, tx, rq.project, in.Email)
	if err != nil {
		return nil, err
	}
	return newList(found, nil, nil), nil
}

func (s *Server) updateUser(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "user", "user")
	if err != nil {
		return nil, err
	}
	if _, err := users.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in users.UpdateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return users.Update(rq.ctx, tx, rq.project, id, in, now)
}

func (s *Server) deleteUser(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "user", "user")
	if err != nil {
		return nil, err
	}
	if _, err := users.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	// Deleting a user ends their subscriptions first (cause userDeleted).
	if err := s.platform.Lines.EndForUser(rq.ctx, tx, rq.project, id, now); err != nil {
		return nil, err
	}
	return users.Delete(rq.ctx, tx, rq.project, id, now)
}
