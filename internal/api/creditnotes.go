package api

import (
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/store"
)

func (s *Server) createCreditNote(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in billing.CreditNoteInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return billing.CreateCreditNote(rq.ctx, tx, rq.project, in, now)
}

func (s *Server) listCreditNotes(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("invoice")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	invoice, err := q.id("invoice")
	if err != nil {
		return nil, err
	}
	return listOf(billing.ListCreditNotes(rq.ctx, s.db, rq.project, invoice, p))
}

// voidCreditNote checks the path before the body, which may be absent or {}.
func (s *Server) voidCreditNote(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "creditNote", "creditNote")
	if err != nil {
		return nil, err
	}
	if _, err := billing.GetCreditNote(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var none struct{}
	if err := rq.decodeOptional(&none); err != nil {
		return nil, err
	}
	return billing.VoidCreditNote(rq.ctx, tx, rq.project, id, now)
}
