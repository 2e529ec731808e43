package api

import (
	"net/http"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/porting"
	"cellgate/internal/portout"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// portingRoutes are the porting-in endpoints and the service providers
// numbers come from (docs/porting.md).
func (s *Server) portingRoutes() {
	s.read("GET /serviceProviders", s.listServiceProviders)
	s.write("POST /projects/{project}/portings", http.StatusCreated, s.createPorting)
	s.read("GET /projects/{project}/portings", s.listPortings)
	s.read("GET /projects/{project}/portings/{porting}", readByID(s, "porting", "porting", s.platform.Subscriptions.Porting.Get))
	s.write("PATCH /projects/{project}/portings/{porting}", http.StatusOK, s.portingAction(s.updatePorting))
	s.write("POST /projects/{project}/portings/{porting}/cancel", http.StatusOK, s.portingAction(s.cancelPorting))
}

func (s *Server) listServiceProviders(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("recipientProvider")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	f := porting.ServiceProviderFilter{RecipientProvider: q.get("recipientProvider")}
	if _, ok := s.platform.Carriers.Info(f.RecipientProvider); f.RecipientProvider != "" && !ok {
		return nil, errs.Invalid("providerInvalid", "Query parameter recipientProvider must be a provider of this server; got %q.", f.RecipientProvider)
	}
	return listOf(porting.ListServiceProviders(s.platform.Carriers, f, p), nil)
}

func (s *Server) createPorting(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in porting.CreateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	// A number on its way out cannot come in (docs/porting.md).
	if err := portout.NumberConflict(rq.ctx, tx, rq.project, in.PhoneNumber); err != nil {
		return nil, err
	}
	return s.platform.Subscriptions.Porting.Create(rq.ctx, tx, rq.project, in, now)
}

func (s *Server) listPortings(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("user", "subscription", "status", "phoneNumber")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f porting.Filter
	if f.User, err = q.id("user"); err != nil {
		return nil, err
	}
	if f.Subscription, err = q.id("subscription"); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", porting.Statuses...); err != nil {
		return nil, err
	}
	if f.PhoneNumber = q.get("phoneNumber"); f.PhoneNumber != "" {
		if err := validate.PhoneNumber("phoneNumber", f.PhoneNumber); err != nil {
			return nil, err
		}
	}
	return listOf(s.platform.Subscriptions.Porting.List(rq.ctx, s.db, rq.project, f, p))
}

// portingAction wraps the endpoints that act on one porting: the path is
// checked before the body.
func (s *Server) portingAction(act func(rq *request, tx *store.Tx, id string, now time.Time) (any, error)) writeHandler {
	return func(rq *request, tx *store.Tx, now time.Time) (any, error) {
		id, err := pathID(rq.Request, "porting", "porting")
		if err != nil {
			return nil, err
		}
		if _, err := porting.SubscriptionOf(rq.ctx, tx, rq.project, id); err != nil {
			return nil, err
		}
		if err := s.ownPorting(rq, tx, id); err != nil {
			return nil, err
		}
		if err := rq.noQuery(); err != nil {
			return nil, err
		}
		return act(rq, tx, id, now)
	}
}

func (s *Server) updatePorting(rq *request, tx *store.Tx, id string, now time.Time) (any, error) {
	var in porting.UpdateInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return s.platform.Subscriptions.Porting.Update(rq.ctx, tx, rq.project, id, in, now)
}

func (s *Server) cancelPorting(rq *request, tx *store.Tx, id string, now time.Time) (any, error) {
	var none struct{}
	if err := rq.decodeOptional(&none); err != nil {
		return nil, err
	}
	return s.platform.Subscriptions.CancelPorting(rq.ctx, tx, rq.project, id, now)
}
