package api

import (
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/store"
)

func (s *Server) createQuote(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in billing.QuoteInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return billing.CreateQuote(rq.ctx, tx, s.platform.Invoices.TaxCalculator(), rq.project, in, now)
}
