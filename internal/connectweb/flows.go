package connectweb

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/connect"
	"cellgate/internal/errs"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/usage"
	"cellgate/internal/users"
)

// start is a session's first page: the sign-in when it has no user yet,
// else the page of its intent.
func (p *Pages) start(v *visit) (*reply, error) {
	if !v.s.Authenticated {
		if v.s.CodeEmail != "" {
			return &reply{page: "code", data: formData{}}, nil
		}
		return &reply{page: "signin", data: formData{}}, nil
	}
	in := v.s.Intent
	switch in.Type {
	case connect.CheckoutNewSubscription:
		if v.s.Status == connect.StatusCompleted {
			return &reply{redirect: "/connect/s/" + v.s.ID + "/done"}, nil
		}
		return p.checkoutPage(v, formData{})
	case connect.ViewSubscriptions:
		return p.subscriptionsPage(v, "")
	case connect.ViewSubscription:
		return p.subscriptionsPage(v, in.Subscription())
	case connect.ViewEsimInstallation:
		return &reply{redirect: "/connect/s/" + v.s.ID + "/esim/" + in.Subscription()}, nil
	case connect.CancelSubscription, connect.ResumeSubscription:
		sub, err := p.ownSubscription(v, in.Subscription())
		if err != nil {
			return nil, err
		}
		return &reply{page: "lifecycle", data: lifecycleData{Sub: sub, Done: v.s.Status == connect.StatusCompleted}}, nil
	case connect.UpdateUserFullName:
		return &reply{page: "name", data: formData{Values: map[string]string{"fullName": deref(v.user.FullName)}}}, nil
	}
	return &reply{page: "unavailable"}, nil
}

// formData is a form's values and its errors by field.
type formData struct {
	Values map[string]string
	Errors map[string]string
	Error  *errs.Error
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// login sends a one-time code to the address the user gives.
func (p *Pages) login(v *visit) (*reply, error) {
	address := strings.TrimSpace(v.PostForm.Get("email"))
	err := p.change(v, func(tx *store.Tx, now time.Time) error {
		_, err := connect.SendCode(v.ctx, tx, v.s, address, v.project.Name, now)
		return err
	})
	if e, ok := errs.As(err); ok && e.Kind == errs.KindInvalid {
		return &reply{page: "signin", status: 422, data: formData{Values: map[string]string{"email": address}, Errors: map[string]string{"email": e.Message}}}, nil
	}
	if err != nil {
		return nil, err
	}
	return &reply{redirect: "/connect/s/" + v.s.ID}, nil
}

// code checks the one-time code.
func (p *Pages) code(v *visit) (*reply, error) {
	err := p.change(v, func(tx *store.Tx, now time.Time) error {
		_, err := connect.VerifyCode(v.ctx, tx, v.s, v.PostForm.Get("code"), now)
		if errors.Is(err, connect.ErrCode) {
			// A wrong code is counted: commit the count, answer the error.
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	r, err := connect.Load(v.ctx, p.db, v.s.Project, v.s.ID)
	if err != nil {
		return nil, err
	}
	if !r.Authenticated {
		return &reply{page: "code", status: 422, data: formData{Errors: map[string]string{"code": connect.ErrCode.Message}}}, nil
	}
	return &reply{redirect: "/connect/s/" + v.s.ID}, nil
}

func (p *Pages) ownSubscription(v *visit, id string) (*subscriptions.Subscription, error) {
	now, err := projects.Now(v.ctx, p.db, v.s.Project)
	if err != nil {
		return nil, err
	}
	sub, err := subscriptions.Get(v.ctx, p.db, v.s.Project, id, now)
	if err != nil || v.user == nil || sub.User == nil || sub.User.ID != v.user.ID {
		return nil, errs.NotFound("subscription", id)
	}
	return sub, nil
}

// subView is a subscription with its usage balances.
type subView struct {
	Sub      *subscriptions.Subscription
	Balances []usage.Balance
}

func (p *Pages) subscriptionsPage(v *visit, only string) (*reply, error) {
	now, err := projects.Now(v.ctx, p.db, v.s.Project)
	if err != nil {
		return nil, err
	}
	var list []*subscriptions.Subscription
	if only != "" {
		sub, err := p.ownSubscription(v, only)
		if err != nil {
			return nil, err
		}
		list = append(list, sub)
	} else {
		page, err := subscriptions.List(v.ctx, p.db, v.s.Project, subscriptions.Filter{User: v.user.ID}, store.Page{Limit: 50}, now)
		if err != nil {
			return nil, err
		}
		list = page.Items
	}
	out := make([]subView, 0, len(list))
	for _, s := range list {
		b, err := usage.Balances(v.ctx, p.db, v.s.Project, s.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, subView{Sub: s, Balances: b})
	}
	return &reply{page: "subscriptions", data: out}, nil
}

// lifecycleData is the cancel or resume page.
type lifecycleData struct {
	Sub  *subscriptions.Subscription
	Done bool
}

// act carries out the one action of a session's intent: cancel, resume,
// a new name.
func (p *Pages) act(v *visit) (*reply, error) {
	in := v.s.Intent
	if !v.s.Authenticated || v.user == nil {
		return nil, connect.ErrNoGrant
	}
	switch in.Type {
	case connect.CancelSubscription, connect.ResumeSubscription:
		var sub *subscriptions.Subscription
		err := p.change(v, func(tx *store.Tx, now time.Time) error {
			var err error
			if in.Type == connect.CancelSubscription {
				sub, err = p.platform.Lines.Cancel(v.ctx, tx, v.s.Project, in.Subscription(), subscriptions.CancelInput{}, now)
			} else {
				sub, err = p.platform.Lines.Resume(v.ctx, tx, v.s.Project, in.Subscription(), now)
			}
			if err != nil {
				return err
			}
			_, err = connect.Complete(v.ctx, tx, v.s, sub.ID, now)
			return err
		})
		if err != nil {
			return nil, err
		}
		return &reply{page: "lifecycle", data: lifecycleData{Sub: sub, Done: true}}, nil
	case connect.UpdateUserFullName:
		name := strings.TrimSpace(v.PostForm.Get("fullName"))
		if name == "" {
			return &reply{page: "name", status: 422, data: formData{Errors: map[string]string{"fullName": messages(v.locale)["required"]}}}, nil
		}
		err := p.change(v, func(tx *store.Tx, now time.Time) error {
			if _, err := users.Update(v.ctx, tx, v.s.Project, v.user.ID, users.UpdateInput{FullName: optional.Of(name)}, now); err != nil {
				return err
			}
			_, err := connect.Complete(v.ctx, tx, v.s, v.user.ID, now)
			return err
		})
		if e, ok := errs.As(err); ok && e.Kind == errs.KindInvalid {
			return &reply{page: "name", status: 422, data: formData{Values: map[string]string{"fullName": name}, Errors: map[string]string{"fullName": e.Message}}}, nil
		}
		if err != nil {
			return nil, err
		}
		return &reply{page: "name", data: formData{Values: map[string]string{"fullName": name, "saved": "1"}}}, nil
	}
	return &reply{page: "unavailable"}, nil
}

// esimData is the eSIM installation page.
type esimData struct {
	Sub   *subscriptions.Subscription
	Creds *sims.Credentials
}

// esim shows the eSIM of one of the user's subscriptions: QR code,
// install links and activation code, to that user only (no-store).
func (p *Pages) esim(v *visit) (*reply, error) {
	sub, err := p.ownSubscription(v, v.PathValue("subscription"))
	if err != nil {
		return nil, err
	}
	d := esimData{Sub: sub}
	if sub.SIM != nil {
		c, err := sims.GetCredentials(v.ctx, p.db, v.s.Project, sub.SIM.ID, p.base)
		if err == nil {
			// The image is served by this server: a path, so that the
			// page's img-src 'self' holds whatever the public URL is.
			if u, perr := url.Parse(c.QRCodeURL); perr == nil {
				c.QRCodeURL = u.RequestURI()
			}
			d.Creds = c
		} else if !errs.IsKind(err, errs.KindNotFound) {
			return nil, err
		}
	}
	if v.s.Intent.Type == connect.ViewEsimInstallation && v.s.Status != connect.StatusCompleted && d.Creds != nil {
		err := p.change(v, func(tx *store.Tx, now time.Time) error {
			_, err := connect.Complete(v.ctx, tx, v.s, sub.ID, now)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return &reply{page: "esim", data: d}, nil
}

// requirement says whether a plan asks for a thing.
func requirement(r string) bool { return r != "" && r != catalog.RequirementNone }
