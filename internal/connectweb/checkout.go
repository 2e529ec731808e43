package connectweb

import (
	"errors"
	"strings"
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/catalog"
	"cellgate/internal/connect"
	"cellgate/internal/errs"
	"cellgate/internal/optional"
	"cellgate/internal/outbound"
	"cellgate/internal/payments"
	"cellgate/internal/porting"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/users"
)

// checkoutData is the checkout page: the plan, what it still needs of the
// user (Needs), and once nothing is missing, the quote to pay.
type checkoutData struct {
	formData
	Plan    *catalog.Plan
	Quote   *billing.Quote
	Needs   map[string]bool
	Test    bool
	Voucher string
}

// errRollback ends the transaction that prices a quote: a page view
// changes nothing.
var errRollback = errors.New("connectweb: read only")

// needs lists what the plan asks for that the user has not given yet; a
// session without a user needs the user first.
func (p *Pages) needs(v *visit, plan *catalog.Plan) (map[string]bool, string, error) {
	n := map[string]bool{}
	if v.user == nil {
		n["user"] = true
		n["fullName"] = requirement(plan.Requirements.UserFullName)
		n["birthday"] = requirement(plan.Requirements.UserBirthday)
		n["address"] = requirement(plan.Requirements.Address)
		return n, "", nil
	}
	n["fullName"] = requirement(plan.Requirements.UserFullName) && v.user.FullName == nil
	n["birthday"] = requirement(plan.Requirements.UserBirthday) && v.user.Birthday == nil
	page, err := users.ListAddresses(v.ctx, p.db, v.s.Project, v.user.ID, store.Page{Limit: 1})
	if err != nil {
		return nil, "", err
	}
	address := ""
	if len(page.Items) > 0 {
		address = page.Items[0].ID
	}
	n["address"] = requirement(plan.Requirements.Address) && address == ""
	return n, address, nil
}

func missing(n map[string]bool) bool {
	for _, v := range n {
		if v {
			return true
		}
	}
	return false
}

func (p *Pages) checkoutPage(v *visit, form formData) (*reply, error) {
	c := v.s.Intent.CheckoutNewSubscription
	plan, err := catalog.GetPlan(v.ctx, p.db, v.s.Project, c.Plan)
	if err != nil {
		return nil, err
	}
	n, address, err := p.needs(v, plan)
	if err != nil {
		return nil, err
	}
	d := checkoutData{formData: form, Plan: plan, Needs: n, Test: v.project.IsTest(), Voucher: deref(c.VoucherCode)}
	if d.Values == nil {
		d.Values = map[string]string{}
	}
	if !missing(n) {
		// The quote is priced in a transaction that is rolled back: it is
		// shown, not stored.
		err := p.db.InTx(v.ctx, func(tx *store.Tx) error {
			now, err := projects.Now(v.ctx, tx, v.s.Project)
			if err != nil {
				return err
			}
			in := billing.QuoteInput{Plan: plan.ID, User: v.user.ID, VoucherCode: c.VoucherCode}
			if address != "" {
				in.Address = optional.Of(address)
			}
			if d.Quote, err = billing.CreateQuote(v.ctx, tx, p.platform.Invoices.TaxCalculator(), v.s.Project, in, now); err != nil {
				return err
			}
			return errRollback
		})
		if err != nil && !errors.Is(err, errRollback) {
			return nil, err
		}
	}
	status := 200
	if len(form.Errors) > 0 || form.Error != nil {
		status = 422
	}
	return &reply{page: "checkout", status: status, data: d}, nil
}

// checkout takes the checkout form: first the details the plan needs
// (step=details), then the number and the card (step=pay).
func (p *Pages) checkout(v *visit) (*reply, error) {
	if !v.s.Authenticated || v.s.Intent.Type != connect.CheckoutNewSubscription {
		return nil, connect.ErrNoGrant
	}
	if v.s.Status == connect.StatusCompleted {
		return &reply{redirect: "/connect/s/" + v.s.ID + "/done"}, nil
	}
	f := v.PostForm
	values := map[string]string{}
	for _, k := range []string{"fullName", "birthday", "line1", "city", "state", "postalCode", "country", "number", "phoneNumber", "card"} {
		values[k] = strings.TrimSpace(f.Get(k))
	}
	if f.Get("step") == "details" {
		return p.checkoutDetails(v, values)
	}
	return p.checkoutPay(v, values)
}

func (p *Pages) checkoutDetails(v *visit, values map[string]string) (*reply, error) {
	c := v.s.Intent.CheckoutNewSubscription
	plan, err := catalog.GetPlan(v.ctx, p.db, v.s.Project, c.Plan)
	if err != nil {
		return nil, err
	}
	n, _, err := p.needs(v, plan)
	if err != nil {
		return nil, err
	}
	bad := map[string]string{}
	req := messages(v.locale)["required"]
	for field, keys := range map[string][]string{"fullName": {"fullName"}, "birthday": {"birthday"}, "address": {"line1", "city", "country"}} {
		for _, k := range keys {
			if n[field] && values[k] == "" {
				bad[k] = req
			}
		}
	}
	if len(bad) > 0 {
		return p.checkoutPage(v, formData{Values: values, Errors: bad})
	}
	err = p.change(v, func(tx *store.Tx, now time.Time) error {
		user := v.user
		if user == nil {
			in := users.CreateInput{Email: v.s.Details.Email}
			if d := v.s.Details; d.FullName != nil {
				in.FullName = optional.Of(*d.FullName)
			}
			if d := v.s.Details; d.Birthday != nil {
				in.Birthday = optional.Of(*d.Birthday)
			}
			if d := v.s.Details; d.PreferredLocale != nil {
				in.PreferredLocale = optional.Of(*d.PreferredLocale)
			}
			var err error
			if user, err = users.Create(v.ctx, tx, v.s.Project, in, now); err != nil {
				return err
			}
			if v.s, err = connect.LinkUser(v.ctx, tx, v.s, user.ID, now); err != nil {
				return err
			}
		}
		var up users.UpdateInput
		if values["fullName"] != "" {
			up.FullName = optional.Of(values["fullName"])
		}
		if values["birthday"] != "" {
			up.Birthday = optional.Of(values["birthday"])
		}
		if up.FullName.Set || up.Birthday.Set {
			if _, err := users.Update(v.ctx, tx, v.s.Project, user.ID, up, now); err != nil {
				return err
			}
		}
		if values["line1"] != "" {
			a := users.AddressInput{Line1: values["line1"], City: values["city"], Country: strings.ToUpper(values["country"])}
			if values["state"] != "" {
				st := strings.ToUpper(values["state"])
				a.State = &st
			}
			if values["postalCode"] != "" {
				pc := values["postalCode"]
				a.PostalCode = &pc
			}
			if _, err := users.CreateAddress(v.ctx, tx, v.s.Project, user.ID, a, now); err != nil {
				return err
			}
		}
		return nil
	})
	if e, ok := errs.As(err); ok && e.Kind == errs.KindInvalid {
		return p.checkoutPage(v, formData{Values: values, Error: e})
	}
	if err != nil {
		return nil, err
	}
	return &reply{redirect: "/connect/s/" + v.s.ID}, nil
}

func (p *Pages) checkoutPay(v *visit, values map[string]string) (*reply, error) {
	c := v.s.Intent.CheckoutNewSubscription
	if v.user == nil {
		return &reply{redirect: "/connect/s/" + v.s.ID}, nil
	}
	bad := map[string]string{}
	req := messages(v.locale)["required"]
	if values["card"] == "" {
		bad["card"] = req
	}
	keep := values["number"] == "keep"
	if keep && values["phoneNumber"] == "" {
		bad["phoneNumber"] = req
	}
	if len(bad) > 0 {
		return p.checkoutPage(v, formData{Values: values, Errors: bad})
	}
	plan, err := catalog.GetPlan(v.ctx, p.db, v.s.Project, c.Plan)
	if err != nil {
		return nil, err
	}
	_, address, err := p.needs(v, plan)
	if err != nil {
		return nil, err
	}
	// The card: the simulator's test cards become its tokens here (the
	// number is neither stored nor logged); the provider is called outside
	// any transaction, with the session as idempotency key.
	token, err := payments.Tokenize(values["card"])
	if err != nil {
		return p.checkoutPage(v, formData{Values: map[string]string{"number": values["number"], "phoneNumber": values["phoneNumber"]},
			Errors: map[string]string{"card": plainError(err)}})
	}
	ctx := outbound.Track(v.ctx)
	_, err = p.platform.Payments.Attach(ctx, v.s.Project, v.user.ID, token, v.s.ID+"/"+token)
	p.runOutbound(ctx)
	if err != nil {
		if e, ok := errs.As(err); ok && e.Kind != errs.KindInternal {
			return p.checkoutPage(v, formData{Values: values, Error: e})
		}
		return nil, err
	}
	err = p.change(v, func(tx *store.Tx, now time.Time) error {
		if v.s.Status == connect.StatusCompleted {
			return nil
		}
		in := subscriptions.CreateInput{Plan: plan.ID, User: v.user.ID, SIM: subscriptions.SIMAuto, VoucherCode: c.VoucherCode}
		if c.SIM != nil {
			in.SIM = *c.SIM
		}
		if c.Device != nil {
			in.Device = optional.Of(*c.Device)
		}
		if address != "" {
			in.UserAddress = optional.Of(address)
		}
		if keep {
			draft, err := p.platform.Subscriptions.Porting.Create(v.ctx, tx, v.s.Project,
				porting.CreateInput{PhoneNumber: values["phoneNumber"], Provider: plan.Provider, User: v.user.ID}, now)
			if err != nil {
				return err
			}
			in.Porting = optional.Of(draft.ID)
		}
		sub, err := p.platform.Lines.Create(v.ctx, tx, v.s.Project, in, now)
		if err != nil {
			return err
		}
		_, err = connect.Complete(v.ctx, tx, v.s, sub.ID, now)
		return err
	})
	if e, ok := errs.As(err); ok && e.Kind == errs.KindInvalid || ok && e.Kind == errs.KindConflict {
		return p.checkoutPage(v, formData{Values: values, Error: e})
	}
	if err != nil {
		return nil, err
	}
	return &reply{redirect: "/connect/s/" + v.s.ID + "/done"}, nil
}

func plainError(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return "This card cannot be used."
}

// doneData is the confirmation page.
type doneData struct {
	Sub     *subscriptions.Subscription
	Invoice *billing.Invoice
	Failure string
}

// done confirms a completed checkout: the subscription, whether its
// first invoice is paid, and the way to the eSIM.
func (p *Pages) done(v *visit) (*reply, error) {
	if v.s.Status != connect.StatusCompleted || v.s.Result == "" {
		return &reply{redirect: "/connect/s/" + v.s.ID}, nil
	}
	sub, err := p.ownSubscription(v, v.s.Result)
	if err != nil {
		return nil, err
	}
	d := doneData{Sub: sub}
	invs, err := billing.ListInvoices(v.ctx, p.db, v.s.Project, billing.InvoiceFilter{Subscription: sub.ID}, store.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(invs.Items) > 0 {
		d.Invoice = invs.Items[0]
		if d.Invoice.Status != billing.StatusPaid {
			pays, err := payments.List(v.ctx, p.db, v.s.Project, payments.Filter{Invoice: d.Invoice.ID}, store.Page{Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(pays.Items) > 0 && pays.Items[0].FailureMessage != nil {
				d.Failure = *pays.Items[0].FailureMessage
			}
		}
	}
	return &reply{page: "done", data: d}, nil
}
