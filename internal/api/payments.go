package api

import (
	"context"
	"net/http"
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/errs"
	"cellgate/internal/outbound"
	"cellgate/internal/payments"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// paymentRoutes registers payment settings, payment methods, payments and
// their refunds, the user balance, quote reads and the simulator's
// tokenizer (docs/payments.md).
func (s *Server) paymentRoutes() {
	s.read("GET /projects/{project}/paymentSettings", s.getPaymentSettings)
	s.write("PATCH /projects/{project}/paymentSettings", http.StatusOK, s.updatePaymentSettings)
	// The provider attaches the method before the transaction that
	// stores it: a call outside never runs inside one.
	s.outsideTxStatus("POST /projects/{project}/paymentMethods", http.StatusCreated, s.createPaymentMethod)
	s.read("GET /projects/{project}/paymentMethods", s.listPaymentMethods)
	s.read("GET /projects/{project}/paymentMethods/{paymentMethod}", readByID(s, "paymentMethod", "paymentMethod", payments.GetMethod))
	s.write("DELETE /projects/{project}/paymentMethods/{paymentMethod}", http.StatusOK, s.detachPaymentMethod)
	s.read("GET /projects/{project}/payments", s.listPayments)
	s.read("GET /projects/{project}/payments/{payment}", readByID(s, "payment", "payment", payments.Get))
	s.write("POST /projects/{project}/payments/{payment}/refund", http.StatusOK, s.refundPayment)
	s.read("GET /projects/{project}/users/{user}/balance", s.getUserBalance)
	s.read("GET /projects/{project}/quotes/{quote}", readByID(s, "quote", "quote", billing.GetQuote))
	s.write("POST /testing/projects/{project}/paymentTokens", http.StatusCreated, s.createPaymentToken)
	s.outsideTxStatus("POST /testing/projects/{project}/paymentMethods/{paymentMethod}/confirm", http.StatusOK, s.confirmPaymentMethod)
	s.handle("POST /paymentProviders/stripe/webhooks/{project}", s.stripeWebhook)
	s.voucherRoutes()
	s.documentRoutes()
}

func (s *Server) getPaymentSettings(rq *request) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	return payments.GetSettings(rq.ctx, s.db, rq.project)
}

func (s *Server) updatePaymentSettings(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in payments.SettingsInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return payments.UpdateSettings(rq.ctx, tx, rq.project, in, now)
}

// createPaymentMethod asks the provider to attach the token to the user's
// customer (made first if needed), then stores the method as the user's
// default and starts collecting the user's failing payments with it.
func (s *Server) createPaymentMethod(rq *request) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in payments.MethodInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	if err := in.Check(); err != nil {
		return nil, err
	}
	ctx := outbound.Track(rq.ctx)
	out, err := s.platform.Payments.Attach(ctx, rq.project, in.User, in.Token, rq.Header.Get("Idempotency-Key"))
	if err != nil {
		return nil, err
	}
	if err := s.platform.Outbound.RunTracked(ctx); err != nil {
		s.log.ErrorContext(ctx, "outbound operations after a request", "error", err)
	}
	return out, nil
}

// methodTx stores what a provider answered about a payment method in one
// transaction at the project's clock, then runs the charges it decided
// (a method collects the user's failing payments at once).
func (s *Server) methodTx(rq *request, f func(ctx context.Context, tx *store.Tx, now time.Time) error) error {
	ctx := outbound.Track(rq.ctx)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now, err := projects.Now(ctx, tx, rq.project)
		if err != nil {
			return err
		}
		return f(ctx, tx, now)
	})
	if err != nil {
		return err
	}
	if err := s.platform.Outbound.RunTracked(ctx); err != nil {
		s.log.ErrorContext(ctx, "outbound operations after a request", "error", err)
	}
	return nil
}

func referencedUser(err error) error {
	if e, ok := errs.As(err); ok && e.Kind == errs.KindNotFound {
		return errs.Invalid("userNotFound", "user: %s", e.Message)
	}
	return err
}

func (s *Server) listPaymentMethods(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("user")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	user, err := q.id("user")
	if err != nil {
		return nil, err
	}
	return listOf(payments.ListMethods(rq.ctx, s.db, rq.project, user, p))
}

func (s *Server) detachPaymentMethod(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "paymentMethod", "paymentMethod")
	if err != nil {
		return nil, err
	}
	if _, err := payments.GetMethod(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	return payments.DetachMethod(rq.ctx, tx, rq.project, id, now)
}

func (s *Server) listPayments(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("invoice", "user", "status")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f payments.Filter
	if f.Invoice, err = q.id("invoice"); err != nil {
		return nil, err
	}
	if f.User, err = q.id("user"); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", payments.Statuses...); err != nil {
		return nil, err
	}
	return listOf(payments.List(rq.ctx, s.db, rq.project, f, p))
}

func (s *Server) refundPayment(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "payment", "payment")
	if err != nil {
		return nil, err
	}
	if _, err := payments.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in payments.RefundInput
	if err := rq.decodeOptional(&in); err != nil {
		return nil, err
	}
	return s.platform.Invoices.RefundPayment(rq.ctx, tx, rq.project, id, in, now)
}

func (s *Server) getUserBalance(rq *request) (any, error) {
	id, err := pathID(rq.Request, "user", "user")
	if err != nil {
		return nil, err
	}
	b, err := billing.UserBalance(rq.ctx, s.db, rq.project, id)
	if err != nil {
		return nil, err
	}
	return b, rq.noQuery()
}

// paymentToken is the simulator's token for a test card.
type paymentToken struct {
	Object string `json:"object"`
	ID     string `json:"id"`
}

// createPaymentToken is the simulator's client side on test projects: a
// test card number in, its token out. The number is neither stored nor
// logged nor echoed.
func (s *Server) createPaymentToken(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in struct {
		Number string `json:"number"`
	}
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	p, err := projects.Get(rq.ctx, tx, rq.project)
	if err != nil {
		return nil, err
	}
	if !p.IsTest() {
		return nil, errs.PermissionDenied("liveProjectTestCards", "Project %q is a live project: test cards are for test projects.", p.ID)
	}
	tok, err := payments.Tokenize(in.Number)
	if err != nil {
		return nil, err
	}
	return paymentToken{Object: "paymentToken", ID: tok}, nil
}
