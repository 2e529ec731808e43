package console

import (
	"context"
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/catalog"
	"cellgate/internal/events"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/usage"
)

func init() {
	Register(
		Page{Route: "GET /subscriptions", Nav: "Subscriptions", Order: 30, Handle: (*Console).subscriptionList},
		Page{Route: "GET /subscriptions/{subscription}", Handle: (*Console).subscription},
		Page{Route: "POST /subscriptions/{subscription}/cancel", Handle: lineAction(cancelLine)},
		Page{Route: "POST /subscriptions/{subscription}/resume", Handle: lineAction(resumeLine)},
		Page{Route: "POST /subscriptions/{subscription}/end", Handle: lineAction(endLine)},
	)
}

// subscriptionStatuses are the status filter's values.
var subscriptionStatuses = []string{subscriptions.StatusPending, subscriptions.StatusInitiated, subscriptions.StatusActive,
	subscriptions.StatusRestricted, subscriptions.StatusEnded}

type subscriptionsData struct {
	Status, Plan  string
	Provider      string
	Statuses      []string
	Providers     []string
	Plans         []*catalog.Plan
	Subscriptions []*subscriptions.Subscription
	Pager         pager
}

// subscriptionList pages through the subscriptions, filtered by status and
// plan.
func (c *Console) subscriptionList(rq *request) (*answer, error) {
	p, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	var f subscriptions.Filter
	if f.Status, err = filter(rq, "status", subscriptionStatuses...); err != nil {
		return nil, err
	}
	if f.Plan, err = idFilter(rq, "plan"); err != nil {
		return nil, err
	}
	providers := c.platform.Carriers.IDs()
	if f.Provider, err = filter(rq, "provider", providers...); err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, c.db, rq.project.ID)
	if err != nil {
		return nil, err
	}
	page, err := subscriptions.List(rq.ctx, c.db, rq.project.ID, f, p, now)
	if err != nil {
		return nil, err
	}
	plans, err := catalog.ListPlans(rq.ctx, c.db, rq.project.ID, catalog.PlanFilter{}, store.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	return &answer{page: "subscriptions", data: subscriptionsData{Status: f.Status, Plan: f.Plan, Provider: f.Provider, Providers: providers, Statuses: subscriptionStatuses,
		Plans: plans.Items, Subscriptions: page.Items, Pager: pagerOf(rq, page)}}, nil
}

type subscriptionData struct {
	Sub                    *subscriptions.Subscription
	Invoices               []*billing.Invoice
	Activity               []*events.Event
	Usage                  []usageChart
	TopUps                 []usage.Balance
	Addons                 []*subscriptions.SubscriptionAddon
	Changes                []*subscriptions.Change
	Reasons                []string
	CanCancel, CanResume   bool
	CanEnd, SeeCredentials bool
}

func (c *Console) subscription(rq *request) (*answer, error) {
	id, err := pathID(rq, "subscription", "subscription")
	if err != nil {
		return nil, err
	}
	ctx, p := rq.ctx, rq.project.ID
	now, err := projects.Now(ctx, c.db, p)
	if err != nil {
		return nil, err
	}
	d := subscriptionData{Reasons: subscriptions.UserReasons, SeeCredentials: rq.role.SeesCredentials()}
	if d.Sub, err = subscriptions.Get(ctx, c.db, p, id, now); err != nil {
		return nil, err
	}
	invs, err := billing.ListInvoices(ctx, c.db, p, billing.InvoiceFilter{Subscription: id}, store.Page{Limit: pageSize})
	if err != nil {
		return nil, err
	}
	d.Invoices = invs.Items
	if d.Usage, d.TopUps, err = c.usageCharts(ctx, c.db, p, id); err != nil {
		return nil, err
	}
	addons, err := subscriptions.ListAddons(ctx, c.db, p, subscriptions.AddonFilter{Subscription: id}, store.Page{Limit: pageSize})
	if err != nil {
		return nil, err
	}
	changes, err := subscriptions.ListChanges(ctx, c.db, p, subscriptions.ChangeFilter{Subscription: id}, store.Page{Limit: pageSize})
	if err != nil {
		return nil, err
	}
	d.Addons, d.Changes = addons.Items, changes.Items
	if d.Activity, err = c.activity(ctx, p, []string{id}); err != nil {
		return nil, err
	}
	// The buttons shown follow the state; the domain still decides, as
	// for the API, when the form is sent.
	running := d.Sub.Status != subscriptions.StatusEnded
	d.CanCancel = running && d.Sub.EndedAt == nil
	d.CanResume = running && d.Sub.EndedAt != nil
	d.CanEnd = running
	return &answer{page: "subscription", data: d}, nil
}

// lineStep is one operator action on a subscription, through the same
// flow (package lines) as the API's.
type lineStep func(c *Console, ctx context.Context, tx *store.Tx, rq *request, id string, now time.Time) error

func lineAction(step lineStep) func(*Console, *request) (*answer, error) {
	return func(c *Console, rq *request) (*answer, error) {
		id, err := pathID(rq, "subscription", "subscription")
		if err != nil {
			return nil, err
		}
		err = c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error {
			if err := subscriptions.Exists(ctx, tx, rq.project.ID, id); err != nil {
				return err
			}
			return step(c, ctx, tx, rq, id, now)
		})
		if err != nil {
			return nil, err
		}
		return rq.redirectf("/subscriptions/%s", id), nil
	}
}

// cancelInput reads the optional reason of a cancel or end form.
func cancelInput(rq *request) subscriptions.CancelInput {
	var in subscriptions.CancelInput
	if r := rq.formText("userReason"); r != "" {
		in.UserReason = optional.Of(r)
	}
	if cm := rq.formText("userComment"); cm != "" {
		in.UserComment = optional.Of(cm)
	}
	return in
}

func cancelLine(c *Console, ctx context.Context, tx *store.Tx, rq *request, id string, now time.Time) error {
	_, err := c.platform.Lines.Cancel(ctx, tx, rq.project.ID, id, cancelInput(rq), now)
	return err
}

func resumeLine(c *Console, ctx context.Context, tx *store.Tx, rq *request, id string, now time.Time) error {
	_, err := c.platform.Lines.Resume(ctx, tx, rq.project.ID, id, now)
	return err
}

func endLine(c *Console, ctx context.Context, tx *store.Tx, rq *request, id string, now time.Time) error {
	_, err := c.platform.Lines.End(ctx, tx, rq.project.ID, id, cancelInput(rq), now)
	return err
}
