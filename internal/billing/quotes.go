package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"cellgate/internal/billing/tax"
	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/users"
	"cellgate/internal/validate"
)

// QuoteLifetime is how long a quote stays valid (reference §3.3).
const QuoteLifetime = 2 * time.Hour

// ReasonSubscriptionCreation is the reason of a quote for a new subscription.
const ReasonSubscriptionCreation = "subscriptionCreation"

// Quote is the API representation (reference §3.3, docs/billing.md §7).
type Quote struct {
	Object             string      `json:"object"`
	ID                 string      `json:"id"`
	Address            *string     `json:"address"`
	CreatedAt          time.Time   `json:"createdAt"`
	Discount           money.Price `json:"discount"`
	ExpiredAt          time.Time   `json:"expiredAt"`
	Fees               []Fee       `json:"fees"`
	LineItems          []LineItem  `json:"lineItems"`
	Reason             string      `json:"reason"`
	Subtotal           money.Price `json:"subtotal"`
	Tax                money.Price `json:"tax"`
	TaxExemptionReason *string     `json:"taxExemptionReason"`
	Total              money.Price `json:"total"`
	User               string      `json:"user"`
	Voucher            *string     `json:"voucher"` // null until vouchers exist
}

// LineItem has the invoice line shape; on a quote it has no id and no
// period yet (the period starts when the subscription activates).
type LineItem struct {
	Object      string    `json:"object"`
	Amount      int64     `json:"amount"`
	Description string    `json:"description"`
	Discount    int64     `json:"discount"`
	Period      *struct{} `json:"period"`
	Plan        string    `json:"plan"`
	Addon       string    `json:"addon,omitempty"`
	Quantity    int       `json:"quantity"`
	Tax         int64     `json:"tax"`
	Taxes       []LineTax `json:"taxes"`
	Total       int64     `json:"total"`
}

// LineTax is one tax of a line; percentage is null for a flat tax.
type LineTax struct {
	Object     string       `json:"object"`
	Amount     int64        `json:"amount"`
	Name       string       `json:"name"`
	Percentage *json.Number `json:"percentage"`
	Type       string       `json:"type"`
}

// QuoteInput is the body of POST /quotes: a plan for a user, or an
// add-on for a subscription.
type QuoteInput struct {
	Plan         string                 `json:"plan"`
	User         string                 `json:"user"`
	Address      optional.Value[string] `json:"address"`
	Addon        optional.Value[string] `json:"addon"`
	Subscription optional.Value[string] `json:"subscription"`
}

// CreateQuote prices a new subscription to a plan for a user and stores the
// quote. It records no event and changes nothing else (docs/billing.md §7).
func CreateQuote(ctx context.Context, tx *store.Tx, calc tax.Calculator, project string, in QuoteInput, now time.Time) (*Quote, error) {
	p, err := projects.Get(ctx, tx, project)
	if err != nil {
		return nil, err
	}
	if p.Billing == nil {
		return nil, errs.Conflict("billingNotEnabled", "Billing is not enabled on project %s.", project).
			WithHint("Turn it on with PATCH /projects/%s and a billing object.", project)
	}
	if in.Addon.Set || in.Subscription.Set {
		return createAddonQuote(ctx, tx, calc, p, in, now)
	}
	for _, f := range []struct{ name, v string }{{"plan", in.Plan}, {"user", in.User}} {
		if err := validate.Required(f.name, f.v); err != nil {
			return nil, err
		}
	}
	user, err := users.Get(ctx, tx, project, in.User)
	if err != nil {
		return nil, referenced(err, "user")
	}
	plan, err := catalog.GetPlan(ctx, tx, project, in.Plan)
	if err != nil {
		return nil, referenced(err, "plan")
	}
	if plan.Status != catalog.StatusAvailable {
		return nil, errs.Invalid("planNotAvailable", "The plan %s is %s; only available plans can be quoted.", plan.ID, plan.Status)
	}
	if plan.Price.Currency != p.Billing.Currency {
		return nil, errs.Invalid("planCurrencyMismatch", "The plan %s is priced in %s but the project bills in %s.", plan.ID, plan.Price.Currency, p.Billing.Currency)
	}
	var address *users.Address
	if in.Address.Present() {
		if address, err = users.GetAddress(ctx, tx, project, user.ID, in.Address.Value); err != nil {
			if errs.IsKind(err, errs.KindNotFound) {
				return nil, errs.Invalid("userAddressNotFound", "address %q is not an address of user %s.", in.Address.Value, user.ID)
			}
			return nil, err
		}
	}
	if plan.Requirements.Address != catalog.RequirementNone && address == nil {
		return nil, errs.Invalid("userAddressRequired", "The plan %s requires an address: pass address, an address of the user.", plan.ID)
	}
	j, err := jurisdiction(ctx, tx, project, address)
	if err != nil {
		return nil, err
	}
	amounts, err := Compute(ctx, calc, Input{Jurisdiction: j, Currency: p.Billing.Currency, Behavior: p.Billing.TaxBehavior,
		Lines: []tax.Line{{Key: plan.ID, Price: plan.Price.Amount}}, RecoveryBPS: p.Billing.RecoveryFeeBasisPoints()})
	if err != nil {
		return nil, err
	}
	q := quoteOf(amounts, quoted{plan.ID, "", plan.Name}, user.ID, p.Billing.Currency, now)
	if address != nil {
		q.Address = &address.ID
	}
	return q, insertQuote(ctx, tx, project, plan.ID, q, amounts)
}

// jurisdiction is where the quote is taxed: the address, else the
// project's tax country, else unknown (nil: calculationFailed).
func jurisdiction(ctx context.Context, tx *store.Tx, project string, a *users.Address) (*tax.Jurisdiction, error) {
	if a != nil {
		j := &tax.Jurisdiction{Country: a.Country}
		if a.State != nil {
			j.State = *a.State
		}
		if a.PostalCode != nil {
			j.PostalCode = *a.PostalCode
		}
		return j, nil
	}
	var country sql.NullString
	if err := tx.QueryRow(ctx, `SELECT tax_country FROM projects WHERE id = ?`, project).Scan(&country); err != nil {
		return nil, fmt.Errorf("billing: tax country of %s: %w", project, err)
	}
	if !country.Valid || country.String == "" {
		return nil, nil
	}
	return &tax.Jurisdiction{Country: country.String}, nil
}

// quoted is what a quote line prices: a plan, or an add-on for a plan.
type quoted struct{ plan, addon, name string }

func quoteOf(a Amounts, what quoted, user, currency string, now time.Time) *Quote {
	q := &Quote{Object: "quote", ID: ids.New(ids.Quote), CreatedAt: now, ExpiredAt: now.Add(QuoteLifetime),
		Fees: a.Fees, Reason: ReasonSubscriptionCreation, User: user, LineItems: []LineItem{},
		Subtotal: money.Price{Amount: a.Subtotal, Currency: currency}, Discount: money.Price{Amount: a.Discount, Currency: currency},
		Tax: money.Price{Amount: a.Tax, Currency: currency}, Total: money.Price{Amount: a.Total, Currency: currency}}
	if a.ExemptionReason != "" {
		r := a.ExemptionReason
		q.TaxExemptionReason = &r
	}
	for _, l := range a.Lines {
		li := LineItem{Object: "invoiceLineItem", Amount: l.Amount, Description: what.name, Discount: l.Discount, Plan: what.plan, Addon: what.addon,
			Quantity: 1, Tax: l.Tax, Taxes: []LineTax{}, Total: l.Amount - l.Discount + l.Tax}
		for _, x := range l.Taxes {
			li.Taxes = append(li.Taxes, LineTax{Object: "invoiceTax", Amount: x.Amount, Name: x.Name, Percentage: Percentage(x.PPM), Type: x.Type})
		}
		q.LineItems = append(q.LineItems, li)
	}
	return q
}

func insertQuote(ctx context.Context, tx *store.Tx, project, planID string, q *Quote, a Amounts) error {
	lines, err := json.Marshal(q.LineItems)
	if err != nil {
		return err
	}
	fees, err := json.Marshal(q.Fees)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO quotes (id, project_id, user_id, plan_id, address_id, reason, currency,
		subtotal, discount, tax, fees_total, total, tax_exemption_reason, line_items, fees, created_at, expired_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.ID, project, q.User, planID, q.Address, q.Reason, q.Total.Currency,
		a.Subtotal, a.Discount, a.Tax, a.FeesTotal, a.Total, q.TaxExemptionReason, string(lines), string(fees),
		store.Micros(q.CreatedAt), store.Micros(q.ExpiredAt))
	if err != nil {
		return fmt.Errorf("billing: insert quote: %w", err)
	}
	return nil
}

// referenced turns a missing resource named in the body into 422.
func referenced(err error, field string) error {
	if e, ok := errs.As(err); ok && e.Kind == errs.KindNotFound {
		return errs.Invalid(field+"NotFound", "%s: %s", field, e.Message)
	}
	return err
}

// createAddonQuote prices an add-on for a subscription (reason other),
// under the rules of buying it (docs/changes.md).
func createAddonQuote(ctx context.Context, tx *store.Tx, calc tax.Calculator, p *projects.Project, in QuoteInput, now time.Time) (*Quote, error) {
	if in.Plan != "" || in.Address.Set {
		return nil, errs.Invalid("quoteInvalid", "A quote prices a plan for a user, or an add-on for a subscription: not both.").
			WithHint("An add-on quote takes addon and subscription, and is taxed at the subscription's address.")
	}
	for _, f := range []struct {
		name string
		v    optional.Value[string]
	}{{"addon", in.Addon}, {"subscription", in.Subscription}} {
		if err := validate.Required(f.name, f.v.Value); err != nil {
			return nil, err
		}
	}
	sub, err := subscriptions.Get(ctx, tx, p.ID, in.Subscription.Value, now)
	if err != nil {
		return nil, referenced(err, "subscription")
	}
	a, err := catalog.GetAddon(ctx, tx, p.ID, in.Addon.Value)
	if err != nil {
		return nil, referenced(err, "addon")
	}
	if err := a.CheckFor(sub.Plan); err != nil {
		return nil, err
	}
	if sub.Status != subscriptions.StatusActive {
		return nil, errs.Conflict("subscriptionNotActive", "The subscription %s is %s; add-ons are bought for active subscriptions.", sub.ID, sub.Status)
	}
	if in.User != "" && in.User != sub.User.ID {
		return nil, errs.Invalid("userMismatch", "The subscription %s belongs to another user than %s.", sub.ID, in.User)
	}
	if a.Price.Currency != p.Billing.Currency {
		return nil, errs.Invalid("addonCurrencyMismatch", "The add-on %s is priced in %s but the project bills in %s.", a.ID, a.Price.Currency, p.Billing.Currency)
	}
	var address *users.Address
	if sub.UserAddress != nil {
		if address, err = users.GetAddress(ctx, tx, p.ID, sub.User.ID, *sub.UserAddress); err != nil && !errs.IsKind(err, errs.KindNotFound) {
			return nil, err
		}
	}
	j, err := jurisdiction(ctx, tx, p.ID, address)
	if err != nil {
		return nil, err
	}
	amounts, err := Compute(ctx, calc, Input{Jurisdiction: j, Currency: p.Billing.Currency, Behavior: p.Billing.TaxBehavior,
		Lines: []tax.Line{{Key: a.ID, Price: a.Price.Amount}}, RecoveryBPS: p.Billing.RecoveryFeeBasisPoints()})
	if err != nil {
		return nil, err
	}
	q := quoteOf(amounts, quoted{sub.Plan.ID, a.ID, a.Name}, sub.User.ID, p.Billing.Currency, now)
	q.Reason = ReasonOther
	if address != nil {
		q.Address = &address.ID
	}
	return q, insertQuote(ctx, tx, p.ID, sub.Plan.ID, q, amounts)
}
