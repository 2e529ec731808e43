package projects

import (
	"context"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/geo"
	"cellgate/internal/optional"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// UpdateInput is the body of PATCH /projects/{project}.
type UpdateInput struct {
	Name    optional.Value[string]        `json:"name"`
	Locales optional.Value[[]string]      `json:"locales"`
	Support optional.Value[SupportUpdate] `json:"support"`
	// Billing null turns the Billing API off; an object turns it on (from
	// the defaults) or changes the given settings.
	Billing optional.Value[BillingUpdate] `json:"billing"`
	// TaxCountry null clears it.
	TaxCountry optional.Value[string] `json:"taxCountry"`
	// Consent null turns consent off (consent.go).
	Consent optional.Value[ConsentUpdate] `json:"consent"`
}

// SupportUpdate changes the support contacts; null clears one.
type SupportUpdate struct {
	Email optional.Value[string] `json:"email"`
	Phone optional.Value[string] `json:"phone"`
}

// MaxLocales bounds the locales list.
const MaxLocales = 20

// Update applies a PATCH and records com.gigs.project.updated.
func Update(ctx context.Context, tx *store.Tx, id string, in UpdateInput, now time.Time) (*Project, error) {
	// The row lock orders this update against subscription creation, which
	// reads the project under a share lock: the billingInUse check below
	// then sees every subscription created before it.
	before, err := get(ctx, tx, id, tx.Dialect().ForNoKeyUpdate())
	if err != nil {
		return nil, err
	}
	after := *before
	if in.Name.Set {
		if err := validate.NotNull("name", in.Name.Null); err != nil {
			return nil, err
		}
		if err := validate.Required("name", in.Name.Value); err != nil {
			return nil, err
		}
		if err := validate.MaxLength("name", in.Name.Value, 100); err != nil {
			return nil, err
		}
		after.Name = in.Name.Value
	}
	if in.Locales.Set {
		if err := checkLocales(in.Locales); err != nil {
			return nil, err
		}
		after.Locales = in.Locales.Value
	}
	if in.Support.Set {
		if after.Support, err = applySupport(before.Support, in.Support); err != nil {
			return nil, err
		}
	}
	if in.Billing.Set {
		if in.Billing.Null {
			after.Billing = nil
		} else {
			base := DefaultBilling()
			if before.Billing != nil {
				base = *before.Billing
			}
			b, err := in.Billing.Value.apply(base)
			if err != nil {
				return nil, err
			}
			after.Billing = &b
		}
	}
	if in.TaxCountry.Set {
		if after.TaxCountry, err = checkTaxCountry(in.TaxCountry); err != nil {
			return nil, err
		}
	}
	if in.Consent.Set {
		if after.Consent, err = applyConsent(before.Consent, in.Consent); err != nil {
			return nil, err
		}
	}
	if err := checkBillingNotInUse(ctx, tx, id, before.Billing, after.Billing); err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `UPDATE projects SET name = ?, locales = ?, support = ?, billing = ?, tax_country = ?, consent = ?, updated_at = ? WHERE id = ?`,
		after.Name, store.JSON(after.Locales), store.NullJSON(after.Support), store.NullJSON(after.Billing), after.TaxCountry, store.NullJSON(after.Consent), store.Micros(now), id)
	if err != nil {
		return nil, fmt.Errorf("projects: update %s: %w", id, err)
	}
	if err := events.RecordUpdate(ctx, tx, id, "project.updated", id, before, &after, now); err != nil {
		return nil, err
	}
	return &after, nil
}

// checkTaxCountry reads the taxCountry field: null clears it.
func checkTaxCountry(v optional.Value[string]) (*string, error) {
	if v.Null {
		return nil, nil
	}
	if !geo.ValidCountry(v.Value) {
		return nil, errs.Invalid("taxCountryInvalid", "taxCountry must be an ISO 3166-1 alpha-2 country code such as US, or null; got %q.", v.Value)
	}
	c := v.Value
	return &c, nil
}

func checkLocales(v optional.Value[[]string]) error {
	if err := validate.NotNull("locales", v.Null); err != nil {
		return err
	}
	if len(v.Value) == 0 || len(v.Value) > MaxLocales {
		return errs.Invalid("localesInvalid", "locales must list between 1 and %d language tags.", MaxLocales)
	}
	seen := map[string]bool{}
	for i, l := range v.Value {
		if err := validate.Locale(fmt.Sprintf("locales[%d]", i), l); err != nil {
			return err
		}
		if seen[l] {
			return errs.Invalid("localesInvalid", "locales lists %q twice.", l)
		}
		seen[l] = true
	}
	return nil
}

func applySupport(current *Support, u optional.Value[SupportUpdate]) (*Support, error) {
	if u.Null {
		return nil, nil
	}
	out := Support{}
	if current != nil {
		out = *current
	}
	if u.Value.Email.Set {
		out.Email = nil
		if !u.Value.Email.Null {
			if err := validate.Email("support.email", u.Value.Email.Value); err != nil {
				return nil, err
			}
			out.Email = &u.Value.Email.Value
		}
	}
	if u.Value.Phone.Set {
		out.Phone = nil
		if !u.Value.Phone.Null {
			if err := validate.PhoneNumber("support.phone", u.Value.Phone.Value); err != nil {
				return nil, err
			}
			out.Phone = &u.Value.Phone.Value
		}
	}
	if out.Email == nil && out.Phone == nil {
		return nil, nil
	}
	return &out, nil
}
