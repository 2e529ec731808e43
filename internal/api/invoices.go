package api

import (
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/store"
)

func (s *Server) listInvoices(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("subscription", "reason", "status", "user")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f billing.InvoiceFilter
	if f.Subscription, err = q.id("subscription"); err != nil {
		return nil, err
	}
	if f.User, err = q.id("user"); err != nil {
		return nil, err
	}
	if f.Reason, err = q.enum("reason", billing.Reasons...); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", billing.Statuses...); err != nil {
		return nil, err
	}
	return listOf(billing.ListInvoices(rq.ctx, s.db, rq.project, f, p))
}

// invoiceAction wraps pay and void: the path is checked before the body,
// which may be absent or {}.
func (s *Server) invoiceAction(act func(rq *request, tx *store.Tx, id string, now time.Time) (*billing.Invoice, error)) writeHandler {
	return func(rq *request, tx *store.Tx, now time.Time) (any, error) {
		id, err := pathID(rq.Request, "invoice", "invoice")
		if err != nil {
			return nil, err
		}
		if _, err := billing.GetInvoice(rq.ctx, tx, rq.project, id); err != nil {
			return nil, err
		}
		if err := rq.noQuery(); err != nil {
			return nil, err
		}
		var none struct{}
		if err := rq.decodeOptional(&none); err != nil {
			return nil, err
		}
		return act(rq, tx, id, now)
	}
}

func (s *Server) payInvoice(rq *request, tx *store.Tx, id string, now time.Time) (*billing.Invoice, error) {
	return s.platform.Lines.Pay(rq.ctx, tx, rq.project, id, now)
}

func (s *Server) voidInvoice(rq *request, tx *store.Tx, id string, now time.Time) (*billing.Invoice, error) {
	return s.platform.Lines.Void(rq.ctx, tx, rq.project, id, now)
}
