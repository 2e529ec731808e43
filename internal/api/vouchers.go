package api

import (
	"net/http"
	"time"

	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/vouchers"
)

// voucherRoutes registers vouchers and their codes (docs/payments.md).
func (s *Server) voucherRoutes() {
	s.write("POST /projects/{project}/vouchers", http.StatusCreated, s.createVoucher)
	s.read("GET /projects/{project}/vouchers", s.listVouchers)
	s.read("GET /projects/{project}/vouchers/{voucher}", s.getVoucher)
	s.write("POST /projects/{project}/vouchers/{voucher}/retire", http.StatusOK, s.retireVoucher)
	s.write("POST /projects/{project}/vouchers/{voucher}/codes", http.StatusCreated, s.createVoucherCode)
	s.read("GET /projects/{project}/vouchers/{voucher}/codes", s.listVoucherCodes)
}

func (s *Server) createVoucher(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in vouchers.Input
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return vouchers.Create(rq.ctx, tx, rq.project, in, now)
}

func (s *Server) listVouchers(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("status[]", "code")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f vouchers.Filter
	if f.Status, err = q.enum("status[]", vouchers.Statuses...); err != nil {
		return nil, err
	}
	f.Code = q.get("code")
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	return listOf(vouchers.List(rq.ctx, s.db, rq.project, f, p, now))
}

func (s *Server) getVoucher(rq *request) (any, error) {
	id, err := pathID(rq.Request, "voucher", "voucher")
	if err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	v, err := vouchers.Get(rq.ctx, s.db, rq.project, id, now)
	if err != nil {
		return nil, err
	}
	return v, rq.noQuery()
}

// voucherInPath checks the voucher of the path before the query and body.
func voucherInPath(rq *request, tx *store.Tx, now time.Time) (string, error) {
	id, err := pathID(rq.Request, "voucher", "voucher")
	if err != nil {
		return "", err
	}
	if _, err := vouchers.Get(rq.ctx, tx, rq.project, id, now); err != nil {
		return "", err
	}
	return id, rq.noQuery()
}

func (s *Server) retireVoucher(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := voucherInPath(rq, tx, now)
	if err != nil {
		return nil, err
	}
	var none struct{}
	if err := rq.decodeOptional(&none); err != nil {
		return nil, err
	}
	return vouchers.Retire(rq.ctx, tx, rq.project, id, now)
}

func (s *Server) createVoucherCode(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := voucherInPath(rq, tx, now)
	if err != nil {
		return nil, err
	}
	var in vouchers.CodeInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return vouchers.AddCode(rq.ctx, tx, rq.project, id, in, now)
}

func (s *Server) listVoucherCodes(rq *request) (any, error) {
	id, err := pathID(rq.Request, "voucher", "voucher")
	if err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	if _, err := vouchers.Get(rq.ctx, s.db, rq.project, id, now); err != nil {
		return nil, err
	}
	q, err := parseQuery(rq.Request, listParams()...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	return listOf(vouchers.ListCodes(rq.ctx, s.db, rq.project, id, p))
}
