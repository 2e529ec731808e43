package console

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"cellgate/internal/billing"
	"cellgate/internal/devices"
	"cellgate/internal/events"
	"cellgate/internal/payments"
	"cellgate/internal/projects"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/users"
	"cellgate/internal/validate"
)

func init() {
	Register(
		Page{Route: "GET /users", Nav: "Users", Order: 20, Handle: (*Console).users},
		Page{Route: "GET /users/{user}", Handle: (*Console).user},
	)
}

// usersData is the users list, or the result of a search.
type usersData struct {
	Query string
	Users []*users.User
	Pager pager
}

var digitsOnly = regexp.MustCompile(`^[0-9]{18,22}$`)

// users lists the project's users, or finds them by what the query looks
// like: an email, a phone number (+...), an ICCID (18 to 22 digits), or
// the start of a full name.
func (c *Console) users(rq *request) (*answer, error) {
	q := strings.TrimSpace(rq.URL.Query().Get("q"))
	p, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	d := usersData{Query: q}
	var page store.PageOf[*users.User]
	switch {
	case q == "":
		page, err = users.List(rq.ctx, c.db, rq.project.ID, p)
	case strings.Contains(q, "@"):
		page.Items, err = users.SearchByEmail(rq.ctx, c.db, rq.project.ID, q)
	case strings.HasPrefix(q, "+"):
		if err = validate.PhoneNumber("q", q); err == nil {
			page.Items, err = c.usersOfLines(rq, subscriptions.Filter{PhoneNumber: q})
		}
	case digitsOnly.MatchString(q):
		page.Items, err = c.usersOfICCID(rq, q)
	default:
		page, err = users.SearchByName(rq.ctx, c.db, rq.project.ID, q, p)
	}
	if err != nil {
		return nil, err
	}
	d.Users, d.Pager = page.Items, pagerOf(rq, page)
	return &answer{page: "users", data: d}, nil
}

// usersOfLines is the users of the newest subscriptions matching f.
func (c *Console) usersOfLines(rq *request, f subscriptions.Filter) ([]*users.User, error) {
	now, err := projects.Now(rq.ctx, c.db, rq.project.ID)
	if err != nil {
		return nil, err
	}
	subs, err := subscriptions.List(rq.ctx, c.db, rq.project.ID, f, store.Page{Limit: pageSize}, now)
	if err != nil {
		return nil, err
	}
	var out []*users.User
	for _, s := range subs.Items {
		if s.User != nil && !slices.ContainsFunc(out, func(u *users.User) bool { return u.ID == s.User.ID }) {
			out = append(out, s.User)
		}
	}
	return out, nil
}

func (c *Console) usersOfICCID(rq *request, iccid string) ([]*users.User, error) {
	found, err := sims.List(rq.ctx, c.db, rq.project.ID, sims.Filter{ICCID: iccid}, store.Page{Limit: 1})
	if err != nil || len(found.Items) == 0 {
		return nil, err
	}
	return c.usersOfLines(rq, subscriptions.Filter{SIM: found.Items[0].ID})
}

// userData is a user's page.
type userData struct {
	User          *users.User
	Addresses     []*users.Address
	Subscriptions []*subscriptions.Subscription
	Invoices      []*billing.Invoice
	Devices       []*devices.Device
	Methods       []*payments.PaymentMethod
	Balance       *billing.Balance
	Activity      []*events.Event
}

// activitySize is how many events "Recent activity" shows.
const activitySize = 20

func (c *Console) user(rq *request) (*answer, error) {
	id, err := pathID(rq, "user", "user")
	if err != nil {
		return nil, err
	}
	ctx, p := rq.ctx, rq.project.ID
	d := userData{}
	if d.User, err = users.Get(ctx, c.db, p, id); err != nil {
		return nil, err
	}
	first := store.Page{Limit: pageSize}
	addrs, err := users.ListAddresses(ctx, c.db, p, id, first)
	if err != nil {
		return nil, err
	}
	now, err := projects.Now(ctx, c.db, p)
	if err != nil {
		return nil, err
	}
	subs, err := subscriptions.List(ctx, c.db, p, subscriptions.Filter{User: id}, first, now)
	if err != nil {
		return nil, err
	}
	invs, err := billing.ListInvoices(ctx, c.db, p, billing.InvoiceFilter{User: id}, first)
	if err != nil {
		return nil, err
	}
	devs, err := devices.List(ctx, c.db, p, devices.Filter{User: id}, first)
	if err != nil {
		return nil, err
	}
	methods, err := payments.ListMethods(ctx, c.db, p, id, first)
	if err != nil {
		return nil, err
	}
	if d.Balance, err = billing.UserBalance(ctx, c.db, p, id); err != nil {
		return nil, err
	}
	d.Addresses, d.Subscriptions, d.Invoices, d.Devices, d.Methods = addrs.Items, subs.Items, invs.Items, devs.Items, methods.Items
	subjects := []string{id}
	for _, s := range subs.Items {
		subjects = append(subjects, s.ID)
	}
	if d.Activity, err = c.activity(ctx, p, subjects); err != nil {
		return nil, err
	}
	return &answer{page: "user", data: d}, nil
}

// activity is the newest events about any of the subjects, newest first:
// each subject's events are read by the (project, subject, id) index.
func (c *Console) activity(ctx context.Context, project string, subjects []string) ([]*events.Event, error) {
	var all []*events.Event
	for _, s := range subjects {
		page, err := events.List(ctx, c.db, project, events.Filter{Subject: s}, store.Page{Limit: activitySize}, c.source)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
	}
	slices.SortFunc(all, func(a, b *events.Event) int { return strings.Compare(b.ID, a.ID) })
	return all[:min(len(all), activitySize)], nil
}
