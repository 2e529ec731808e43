package console

import (
	"context"
	"strconv"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/webhooks"
)

func init() {
	// Every developer page shows or manages credentials: owners and
	// developers only.
	Register(
		Page{Route: "GET /developers", Nav: "Developers", Order: 90, Credentials: true, Handle: (*Console).developers},
		Page{Route: "GET /developers/webhooks/{endpoint}", Credentials: true, Handle: (*Console).endpoint},
		Page{Route: "POST /developers/webhooks/{endpoint}/deliveries/{delivery}/retry", Credentials: true, Handle: (*Console).retryDelivery},
		Page{Route: "POST /developers/webhooks/{endpoint}/recover", Credentials: true, Handle: (*Console).recoverEndpoint},
		Page{Route: "POST /developers/apiKeys", Credentials: true, Handle: (*Console).createKey},
		Page{Route: "POST /developers/apiKeys/{apiKey}/revoke", Credentials: true, Handle: (*Console).revokeKey},
		Page{Route: "POST /developers/clock/advance", Credentials: true, Handle: (*Console).advanceClock},
	)
}

type developersData struct {
	Endpoints   []*webhooks.Endpoint
	Keys        []*projects.Key
	KeysPager   pager
	Clock       *time.Time
	CreatedKey  *projects.Key
	CreatedWith string
}

// developers lists webhook endpoints (never their secrets), API keys (by
// prefix and last use) and, for a test project, the clock.
func (c *Console) developers(rq *request) (*answer, error) {
	d, err := c.developersData(rq)
	if err != nil {
		return nil, err
	}
	return &answer{page: "developers", data: d}, nil
}

func (c *Console) developersData(rq *request) (*developersData, error) {
	ctx, p := rq.ctx, rq.project.ID
	kp, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	eps, err := webhooks.List(ctx, c.db, p, store.Page{Limit: pageSize})
	if err != nil {
		return nil, err
	}
	keys, err := projects.ListKeys(ctx, c.db, p, kp)
	if err != nil {
		return nil, err
	}
	d := &developersData{Endpoints: eps.Items, Keys: keys.Items, KeysPager: pagerOf(rq, keys)}
	for _, e := range d.Endpoints {
		e.Secret = "" // never on a page, whoever looks
	}
	if rq.project.IsTest() {
		now, err := projects.Now(ctx, c.db, p)
		if err != nil {
			return nil, err
		}
		d.Clock = &now
	}
	return d, nil
}

type endpointData struct {
	Endpoint   *webhooks.Endpoint
	Deliveries []*webhooks.Delivery
	Pager      pager
}

func (c *Console) endpoint(rq *request) (*answer, error) {
	id, err := pathID(rq, "endpoint", "webhookEndpoint")
	if err != nil {
		return nil, err
	}
	p, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	status, err := filter(rq, "status", "pending", "succeeded", "failed")
	if err != nil {
		return nil, err
	}
	d := endpointData{}
	if d.Endpoint, err = webhooks.Get(rq.ctx, c.db, rq.project.ID, id); err != nil {
		return nil, err
	}
	d.Endpoint.Secret = ""
	page, err := webhooks.ListDeliveries(rq.ctx, c.db, rq.project.ID, id, status, p)
	if err != nil {
		return nil, err
	}
	d.Deliveries, d.Pager = page.Items, pagerOf(rq, page)
	return &answer{page: "endpoint", data: d}, nil
}

// retryDelivery sends a delivery again, as POST .../deliveries/{d}/retry.
func (c *Console) retryDelivery(rq *request) (*answer, error) {
	ep, err := pathID(rq, "endpoint", "webhookEndpoint")
	if err != nil {
		return nil, err
	}
	id, err := pathID(rq, "delivery", "webhookDelivery")
	if err != nil {
		return nil, err
	}
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, _ time.Time) error {
		_, err := webhooks.Retry(ctx, tx, rq.project.ID, ep, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/developers/webhooks/%s", ep), nil
}

// recoverEndpoint sends again every failed delivery of the endpoint from
// the last hours given (wall clock), as POST .../recover does.
func (c *Console) recoverEndpoint(rq *request) (*answer, error) {
	ep, err := pathID(rq, "endpoint", "webhookEndpoint")
	if err != nil {
		return nil, err
	}
	hours, err := strconv.Atoi(rq.formText("hours"))
	if err != nil || hours < 1 || hours > 24*90 {
		return nil, errs.Invalid("sinceInvalid", "Recover the failed deliveries of the last 1 to 2160 hours.")
	}
	since := time.Now().Add(-time.Duration(hours) * time.Hour)
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, _ time.Time) error {
		_, err := webhooks.Recover(ctx, tx, rq.project.ID, ep, since)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/developers/webhooks/%s", ep), nil
}

// createKey makes an API key and shows its secret on this answer only,
// which no cache keeps (every console answer is no-store).
func (c *Console) createKey(rq *request) (*answer, error) {
	var (
		key    *projects.Key
		secret string
	)
	err := c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) (err error) {
		key, secret, err = projects.CreateKey(ctx, tx, rq.project.ID, rq.formText("name"), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	d, err := c.developersData(rq)
	if err != nil {
		return nil, err
	}
	d.CreatedKey, d.CreatedWith = key, secret
	return &answer{page: "developers", data: d}, nil
}

func (c *Console) revokeKey(rq *request) (*answer, error) {
	id, err := pathID(rq, "apiKey", "apiKey")
	if err != nil {
		return nil, err
	}
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		_, err := projects.RevokeKey(ctx, tx, rq.project.ID, id, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/developers"), nil
}

// advanceClock moves a test project's clock by a duration, running the
// work due on the way, as POST /testing/projects/{p}/clock/advance does.
func (c *Console) advanceClock(rq *request) (*answer, error) {
	if !rq.project.IsTest() {
		return nil, errs.PermissionDenied("liveProjectClock", "Project %q is a live project: it runs on the wall clock.", rq.project.ID)
	}
	by, err := time.ParseDuration(rq.formText("by"))
	if err != nil || by < 0 || by > timeline.MaxAdvance {
		return nil, errs.Invalid("clockAdvanceInvalid", "Advance by a duration such as 36h or 90m, at most %s.", timeline.MaxAdvance)
	}
	now, err := projects.Now(rq.ctx, c.db, rq.project.ID)
	if err != nil {
		return nil, err
	}
	if _, err := c.platform.Timeline.AdvanceReport(rq.ctx, rq.project.ID, now.Add(by).UTC()); err != nil {
		return nil, err
	}
	return &answer{redirect: rq.base() + "/developers"}, nil
}
