package api

import (
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/store"
	"cellgate/internal/webhooks"
)

// webhookRoutes registers the webhook endpoint resources.
func (s *Server) webhookRoutes() {
	s.write("POST /projects/{project}/webhookEndpoints", 201, s.createWebhookEndpoint)
	s.read("GET /projects/{project}/webhookEndpoints", s.listWebhookEndpoints)
	s.read("GET /projects/{project}/webhookEndpoints/{endpoint}", s.getWebhookEndpoint)
	s.write("PATCH /projects/{project}/webhookEndpoints/{endpoint}", 200, s.updateWebhookEndpoint)
	s.write("DELETE /projects/{project}/webhookEndpoints/{endpoint}", 200, s.deleteWebhookEndpoint)
	s.write("POST /projects/{project}/webhookEndpoints/{endpoint}/rotateSecret", 200, s.rotateWebhookSecret)
	s.read("GET /projects/{project}/webhookEndpoints/{endpoint}/deliveries", s.listWebhookDeliveries)
	s.read("GET /projects/{project}/webhookEndpoints/{endpoint}/deliveries/{delivery}", s.getWebhookDelivery)
	s.write("POST /projects/{project}/webhookEndpoints/{endpoint}/deliveries/{delivery}/retry", 200, s.retryWebhookDelivery)
	s.write("POST /projects/{project}/webhookEndpoints/{endpoint}/recover", 200, s.recoverWebhookEndpoint)
}

func (s *Server) allowPrivateWebhooks() bool {
	return s.platform.Webhooks != nil && s.platform.Webhooks.Config.AllowPrivate
}

func endpointID(rq *request) (string, error) {
	return pathID(rq.Request, "endpoint", "webhookEndpoint")
}

func (s *Server) createWebhookEndpoint(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in webhooks.Input
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return webhooks.Create(rq.ctx, tx, rq.project, in, s.allowPrivateWebhooks(), now)
}

func (s *Server) listWebhookEndpoints(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams()...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	return listOf(webhooks.List(rq.ctx, s.db, rq.project, p))
}

func (s *Server) getWebhookEndpoint(rq *request) (any, error) {
	id, err := endpointID(rq)
	if err != nil {
		return nil, err
	}
	e, err := webhooks.Get(rq.ctx, s.db, rq.project, id)
	if err != nil {
		return nil, err
	}
	return e, rq.noQuery()
}

func (s *Server) updateWebhookEndpoint(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := endpointID(rq)
	if err != nil {
		return nil, err
	}
	if _, err := webhooks.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in webhooks.Input
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return webhooks.Update(rq.ctx, tx, rq.project, id, in, s.allowPrivateWebhooks(), now)
}

func (s *Server) deleteWebhookEndpoint(rq *request, tx *store.Tx, _ time.Time) (any, error) {
	id, err := endpointID(rq)
	if err != nil {
		return nil, err
	}
	if _, err := webhooks.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	return webhooks.Delete(rq.ctx, tx, rq.project, id)
}

func (s *Server) rotateWebhookSecret(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := endpointID(rq)
	if err != nil {
		return nil, err
	}
	if _, err := webhooks.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	if err := rq.decodeOptional(&struct{}{}); err != nil {
		return nil, err
	}
	return webhooks.RotateSecret(rq.ctx, tx, rq.project, id, now)
}

func (s *Server) listWebhookDeliveries(rq *request) (any, error) {
	id, err := endpointID(rq)
	if err != nil {
		return nil, err
	}
	if _, err := webhooks.Get(rq.ctx, s.db, rq.project, id); err != nil {
		return nil, err
	}
	q, err := parseQuery(rq.Request, listParams("status")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	status, err := q.enum("status", webhooks.DeliveryPending, webhooks.DeliverySucceeded, webhooks.DeliveryFailed)
	if err != nil {
		return nil, err
	}
	return listOf(webhooks.ListDeliveries(rq.ctx, s.db, rq.project, id, status, p))
}

func (s *Server) getWebhookDelivery(rq *request) (any, error) {
	id, err := endpointID(rq)
	if err != nil {
		return nil, err
	}
	d, err := pathID(rq.Request, "delivery", "webhookDelivery")
	if err != nil {
		return nil, err
	}
	out, err := webhooks.GetDelivery(rq.ctx, s.db, rq.project, id, d)
	if err != nil {
		return nil, err
	}
	return out, rq.noQuery()
}

func (s *Server) retryWebhookDelivery(rq *request, tx *store.Tx, _ time.Time) (any, error) {
	id, err := endpointID(rq)
	if err != nil {
		return nil, err
	}
	d, err := pathID(rq.Request, "delivery", "webhookDelivery")
	if err != nil {
		return nil, err
	}
	// Path ids (404), then query and body (422), then the rules (409).
	if _, err := webhooks.GetDelivery(rq.ctx, tx, rq.project, id, d); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	if err := rq.decodeOptional(&struct{}{}); err != nil {
		return nil, err
	}
	return webhooks.Retry(rq.ctx, tx, rq.project, id, d)
}

type recoverInput struct {
	Since *string `json:"since"`
}

func (s *Server) recoverWebhookEndpoint(rq *request, tx *store.Tx, _ time.Time) (any, error) {
	id, err := endpointID(rq)
	if err != nil {
		return nil, err
	}
	if _, err := webhooks.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in recoverInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	if in.Since == nil {
		return nil, errs.Invalid("sinceRequired", "Field since is required: the RFC 3339 time from which failed deliveries are sent again.")
	}
	since, err := time.Parse(time.RFC3339, *in.Since)
	if err != nil {
		return nil, errs.Invalid("sinceInvalid", "Field since must be an RFC 3339 date-time; got %q.", *in.Since)
	}
	return webhooks.Recover(rq.ctx, tx, rq.project, id, since)
}
