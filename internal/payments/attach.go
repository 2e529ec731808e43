package payments

import (
	"context"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

// Attach adds a payment method from a provider token for a user: the
// provider is called outside any transaction (the customer first, made
// once per user with the key project/user; then the method, with key), and
// one transaction stores the method as the user's default and starts
// collecting the user's failing payments with it. It runs no outbound
// operation: the caller runs the ones ctx tracks (outbound.Track). An
// empty key makes a fresh one.
func (ps *Providers) Attach(ctx context.Context, project, user, token, key string) (*PaymentMethod, error) {
	u, err := users.Get(ctx, ps.DB, project, user)
	if err != nil {
		return nil, referencedUser(err)
	}
	set, err := GetSettings(ctx, ps.DB, project)
	if err != nil {
		return nil, err
	}
	if !set.Enabled() {
		return nil, errs.Conflict("paymentProviderMissing", "Project %s has no payment provider.", project).
			WithHint("Choose one with PATCH /projects/%s/paymentSettings.", project)
	}
	prov, _, err := ps.For(ctx, project, *set.Provider)
	if err != nil {
		return nil, err
	}
	customer, err := CustomerRef(ctx, ps.DB, project, u.ID, prov.ID())
	if err != nil {
		return nil, err
	}
	if customer == "" {
		// One customer per user: the key makes a repeated call find it.
		c := Customer{Project: project, User: u.ID, Email: u.Email}
		if customer, err = prov.CreateCustomer(ctx, project+"/"+u.ID, c); err != nil {
			return nil, err
		}
	}
	if key == "" {
		key = ids.New("att")
	}
	pm, err := prov.AttachMethod(ctx, project+"/"+key, customer, token)
	if err != nil {
		return nil, err
	}
	var out *PaymentMethod
	err = ps.DB.InTx(ctx, func(tx *store.Tx) error {
		now, err := projects.Now(ctx, tx, project)
		if err != nil {
			return err
		}
		if _, err := users.Get(ctx, tx, project, u.ID); err != nil {
			return referencedUser(err)
		}
		if out, err = SaveMethod(ctx, tx, project, u.ID, prov.ID(), customer, pm, now); err != nil {
			return err
		}
		if !out.Default {
			return nil
		}
		return CollectNow(ctx, tx, project, u.ID, now)
	})
	return out, err
}

func referencedUser(err error) error {
	if e, ok := errs.As(err); ok && e.Kind == errs.KindNotFound {
		return errs.Invalid("userNotFound", "user: %s", e.Message)
	}
	return err
}
