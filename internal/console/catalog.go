package console

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/optional"
	"cellgate/internal/store"
)

// The catalog page: plans and add-ons, created and archived through the
// catalog package as the API does. A form becomes the API's JSON body, so
// one set of rules checks both.

func init() {
	Register(
		Page{Route: "GET /catalog", Nav: "Catalog", Order: 46, Handle: (*Console).catalogPage},
		Page{Route: "POST /catalog/plans", Handle: (*Console).createPlan},
		Page{Route: "POST /catalog/plans/{plan}/archive", Handle: (*Console).archivePlan},
		Page{Route: "POST /catalog/addons", Handle: (*Console).createAddon},
		Page{Route: "POST /catalog/addons/{addon}/archive", Handle: (*Console).archiveAddon},
	)
}

type catalogData struct {
	Plans     []*catalog.Plan
	Addons    []*catalog.Addon
	Providers []string
	Currency  string
}

func (c *Console) catalogPage(rq *request) (*answer, error) {
	plans, err := catalog.ListPlans(rq.ctx, c.db, rq.project.ID, catalog.PlanFilter{}, store.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	addons, err := catalog.ListAddons(rq.ctx, c.db, rq.project.ID, catalog.AddonFilter{}, store.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	currency := "USD"
	if rq.project.Billing != nil {
		currency = rq.project.Billing.Currency
	}
	return &answer{page: "catalog", data: catalogData{Plans: plans.Items, Addons: addons.Items, Providers: c.platform.Carriers.IDs(), Currency: currency}}, nil
}

// formCount reads an optional whole number; empty is nil (unlimited).
func formCount(rq *request, name string, scale int64) (*int64, error) {
	v := rq.formText(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, errs.Invalid("numberInvalid", "%s must be a whole number, or empty for unlimited.", name)
	}
	return new(n * scale), nil
}

// decodeForm turns a form's values, gathered as the API's body, into the
// catalog's input type, with the API's own decoding rules.
func decodeForm(body map[string]any, into any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return errs.Invalid("formInvalid", "The form cannot be read: %v", err)
	}
	return nil
}

// allowancesOf reads data in MB, voice in minutes and SMS from the form.
func allowancesOf(rq *request) (map[string]any, error) {
	data, err := formCount(rq, "dataMB", 1_000_000)
	if err != nil {
		return nil, err
	}
	voice, err := formCount(rq, "voiceMinutes", 60)
	if err != nil {
		return nil, err
	}
	sms, err := formCount(rq, "sms", 1)
	if err != nil {
		return nil, err
	}
	return map[string]any{"dataBytes": data, "voiceSeconds": voice, "smsMessages": sms}, nil
}

func (c *Console) createPlan(rq *request) (*answer, error) {
	price, ok, err := formAmount(rq, "price")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Invalid("priceRequired", "Give the plan's price in minor units.")
	}
	allowances, err := allowancesOf(rq)
	if err != nil {
		return nil, err
	}
	months, err := formCount(rq, "validityMonths", 1)
	if err != nil || months == nil {
		return nil, errs.Invalid("validityInvalid", "Give the plan's validity in months.")
	}
	var in catalog.PlanInput
	err = decodeForm(map[string]any{
		"name": rq.formText("name"), "provider": rq.formText("provider"), "simTypes": []string{rq.formText("simType")},
		"price":      map[string]any{"amount": price, "currency": rq.formText("currency")},
		"allowances": allowances, "status": catalog.StatusAvailable,
		"validity": map[string]any{"value": *months, "unit": "month", "type": "recurring"},
	}, &in)
	if err != nil {
		return nil, err
	}
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		_, err := catalog.CreatePlan(ctx, tx, rq.project.ID, in, c.platform.Carriers.IDs(), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/catalog"), nil
}

func (c *Console) createAddon(rq *request) (*answer, error) {
	price, ok, err := formAmount(rq, "price")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Invalid("priceRequired", "Give the add-on's price in minor units.")
	}
	allowances, err := allowancesOf(rq)
	if err != nil {
		return nil, err
	}
	days, err := formCount(rq, "validityDays", 1)
	if err != nil {
		return nil, err
	}
	var validity any // none: the plan's period
	if days != nil {
		validity = map[string]any{"unit": "day", "value": *days}
	}
	plan, err := catalog.GetPlan(rq.ctx, c.db, rq.project.ID, rq.formText("plan"))
	if err != nil {
		return nil, err
	}
	var in catalog.AddonInput
	err = decodeForm(map[string]any{
		"name": rq.formText("name"), "provider": plan.Provider, "plans": []string{plan.ID}, "type": "topUp",
		"price":      map[string]any{"amount": price, "currency": plan.Price.Currency},
		"allowances": allowances, "validity": validity, "status": catalog.StatusAvailable,
	}, &in)
	if err != nil {
		return nil, err
	}
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		_, err := catalog.CreateAddon(ctx, tx, rq.project.ID, in, c.platform.Carriers.IDs(), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/catalog"), nil
}

func (c *Console) archivePlan(rq *request) (*answer, error) {
	return c.archive(rq, "plan", func(ctx context.Context, tx *store.Tx, id string, now time.Time) error {
		_, err := catalog.UpdatePlan(ctx, tx, rq.project.ID, id, catalog.PlanInput{Status: archived}, c.platform.Carriers.IDs(), now)
		return err
	})
}

func (c *Console) archiveAddon(rq *request) (*answer, error) {
	return c.archive(rq, "addon", func(ctx context.Context, tx *store.Tx, id string, now time.Time) error {
		_, err := catalog.UpdateAddon(ctx, tx, rq.project.ID, id, catalog.AddonInput{Status: archived}, c.platform.Carriers.IDs(), now)
		return err
	})
}

// archive runs the archiving of the catalog item in the path parameter
// object, then shows the catalog.
func (c *Console) archive(rq *request, object string, update func(ctx context.Context, tx *store.Tx, id string, now time.Time) error) (*answer, error) {
	id, err := pathID(rq, object, object)
	if err != nil {
		return nil, err
	}
	err = c.act(rq, func(ctx context.Context, tx *store.Tx, now time.Time) error { return update(ctx, tx, id, now) })
	if err != nil {
		return nil, err
	}
	return rq.redirectf("/catalog"), nil
}

var archived = optional.Of(catalog.StatusArchived)
