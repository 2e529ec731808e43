package api

import (
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// addonRoutes are the add-on catalog and the add-ons bought for
// subscriptions (docs/changes.md).
func (s *Server) addonRoutes() {
	s.write("POST /projects/{project}/addons", 201, s.createAddon)
	s.read("GET /projects/{project}/addons", s.listAddons)
	s.read("GET /projects/{project}/addons/{addon}", readByID(s, "addon", "addon", catalog.GetAddon))
	s.write("PATCH /projects/{project}/addons/{addon}", 200, s.updateAddon)
}

func (s *Server) createAddon(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in catalog.AddonInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return catalog.CreateAddon(rq.ctx, tx, rq.project, in, s.platform.Carriers.IDs(), now)
}

func (s *Server) listAddons(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("status", "provider", "plan")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f catalog.AddonFilter
	if f.Status, err = q.enum("status", catalog.AddonStatuses...); err != nil {
		return nil, err
	}
	if f.Provider, err = q.enum("provider", s.platform.Carriers.IDs()...); err != nil {
		return nil, err
	}
	if f.Plan, err = q.id("plan"); err != nil {
		return nil, err
	}
	return listOf(catalog.ListAddons(rq.ctx, s.db, rq.project, f, p))
}

func (s *Server) updateAddon(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "addon", "addon")
	if err != nil {
		return nil, err
	}
	if _, err := catalog.LockAddon(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in catalog.AddonInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return catalog.UpdateAddon(rq.ctx, tx, rq.project, id, in, s.platform.Carriers.IDs(), now)
}

// subscriptionAddonRoutes are the add-ons bought for subscriptions.
func (s *Server) subscriptionAddonRoutes() {
	s.write("POST /projects/{project}/subscriptionAddons", 201, s.buyAddon)
	s.read("GET /projects/{project}/subscriptionAddons", s.listSubscriptionAddons)
	s.read("GET /projects/{project}/subscriptionAddons/{subscriptionAddon}", readByID(s, "subscriptionAddon", "subscriptionAddon", subscriptions.GetAddon))
	s.write("POST /projects/{project}/subscriptionAddons/{subscriptionAddon}/cancel", 200, s.cancelSubscriptionAddon)
}

func (s *Server) buyAddon(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in subscriptions.AddonInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return s.platform.Lines.BuyAddon(rq.ctx, tx, rq.project, in, now)
}

func (s *Server) listSubscriptionAddons(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("subscription", "addon", "status")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f subscriptions.AddonFilter
	if f.Subscription, err = q.id("subscription"); err != nil {
		return nil, err
	}
	if f.Addon, err = q.id("addon"); err != nil {
		return nil, err
	}
	if f.Status, err = q.enum("status", subscriptions.AddonStatuses...); err != nil {
		return nil, err
	}
	return listOf(subscriptions.ListAddons(rq.ctx, s.db, rq.project, f, p))
}

func (s *Server) cancelSubscriptionAddon(rq *request, tx *store.Tx, now time.Time) (any, error) {
	return s.bodilessAction(rq, tx, "subscriptionAddon", subscriptions.AddonExists, func(id string) (any, error) {
		return s.platform.Lines.CancelAddon(rq.ctx, tx, rq.project, id, now)
	})
}
