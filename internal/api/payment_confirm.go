package api

import (
	"context"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/payments"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

// confirmPaymentMethod is the holder's confirmation of a method that
// requires it (POST /testing/projects/{p}/paymentMethods/{pm}/confirm
// {clientSecret}): the simulator's stand-in for the device confirming at
// the provider. The provider is asked outside any transaction; then the
// method becomes the user's default and collects the failing payments.
func (s *Server) confirmPaymentMethod(rq *request) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in payments.ConfirmInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	if err := in.Check(); err != nil {
		return nil, err
	}
	p, err := projects.Get(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	if !p.IsTest() {
		return nil, errs.PermissionDenied("liveProjectTestCards", "Project %q is a live project: its payment methods are confirmed on the holder's device.", p.ID)
	}
	m, ref, err := payments.CheckConfirmable(rq.ctx, s.db, rq.project, rq.PathValue("paymentMethod"), in.ClientSecret)
	if err != nil {
		return nil, err
	}
	prov, _, err := s.platform.Payments.For(rq.ctx, rq.project, m.Provider)
	if err != nil {
		return nil, err
	}
	c, ok := prov.(payments.Confirmer)
	if !ok {
		return nil, errs.Conflict("paymentMethodNotConfirmable", "The %s provider confirms methods on the holder's device.", m.Provider)
	}
	pm, err := c.ConfirmMethod(rq.ctx, ref, in.ClientSecret)
	if err != nil {
		return nil, err
	}
	var out *payments.PaymentMethod
	err = s.methodTx(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		if _, err := users.Get(ctx, tx, rq.project, m.User); err != nil {
			return err
		}
		out, err = payments.Confirmed(ctx, tx, rq.project, m.ID, pm, now)
		return err
	})
	return out, err
}
