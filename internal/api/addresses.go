package api

import (
	"time"

	"cellgate/internal/store"
	"cellgate/internal/users"
)

func (s *Server) createAddress(rq *request, tx *store.Tx, now time.Time) (any, error) {
	userID, err := pathID(rq.Request, "user", "user")
	if err != nil {
		return nil, err
	}
	if _, err := users.Get(rq.ctx, tx, rq.project, userID); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in users.AddressInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return users.CreateAddress(rq.ctx, tx, rq.project, userID, in, now)
}

func (s *Server) listAddresses(rq *request) (any, error) {
	userID, err := pathID(rq.Request, "user", "user")
	if err != nil {
		return nil, err
	}
	if _, err := users.Get(rq.ctx, s.db, rq.project, userID); err != nil {
		return nil, err
	}
	q, err := parseQuery(rq.Request, paginationParams...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	return listOf(users.ListAddresses(rq.ctx, s.db, rq.project, userID, p))
}

func (s *Server) getAddress(rq *request) (any, error) {
	userID, addressID, err := addressPath(rq)
	if err != nil {
		return nil, err
	}
	a, err := users.GetAddress(rq.ctx, s.db, rq.project, userID, addressID)
	if err != nil {
		return nil, err
	}
	return a, rq.noQuery()
}

func (s *Server) deleteAddress(rq *request, tx *store.Tx, now time.Time) (any, error) {
	userID, addressID, err := addressPath(rq)
	if err != nil {
		return nil, err
	}
	if _, err := users.GetAddress(rq.ctx, tx, rq.project, userID, addressID); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	return users.DeleteAddress(rq.ctx, tx, rq.project, userID, addressID, now)
}

func addressPath(rq *request) (userID, addressID string, err error) {
	if userID, err = pathID(rq.Request, "user", "user"); err != nil {
		return "", "", err
	}
	addressID, err = pathID(rq.Request, "address", "userAddress")
	return userID, addressID, err
}
