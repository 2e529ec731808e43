package catalog

import (
	"regexp"
	"slices"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/metadata"
	"cellgate/internal/money"
	"cellgate/internal/optional"
	"cellgate/internal/validate"
)

// Addon is the API representation (reference §2.11): an extra allowance
// sold for subscriptions to compatible plans, such as a data top-up.
type Addon struct {
	Object            string         `json:"object"`
	ID                string         `json:"id"`
	ActivationTrigger string         `json:"activationTrigger"`
	Allowances        Allowances     `json:"allowances"`
	Coverage          *string        `json:"coverage"`
	CreatedAt         time.Time      `json:"createdAt"`
	Description       *string        `json:"description"`
	Metadata          metadata.Map   `json:"metadata"`
	Name              string         `json:"name"`
	Plans             []string       `json:"plans"`
	Price             money.Price    `json:"price"`
	Provider          string         `json:"provider"`
	RecurrenceType    string         `json:"recurrenceType"`
	Status            string         `json:"status"`
	Type              string         `json:"type"`
	Validity          *AddonValidity `json:"validity"`
}

// AddonValidity is how long an add-on's allowance lasts; a nil validity
// lasts as long as a period of the subscription's plan.
type AddonValidity struct {
	Unit  string `json:"unit"`
	Value int    `json:"value"`
}

// Add-on enum values.
const (
	AddonPrefix = "add"

	AddonTopUp = "topUp"
	AddonOther = "other"

	RecurrenceOneTime = "oneTime"

	TriggerCreation     = "creation"
	TriggerNetworkLatch = "networkLatch"
	TriggerUsageStarted = "usageStarted"
)

// AddonStatuses, AddonTypes and Triggers are the enums of add-on fields.
var (
	AddonStatuses = []string{StatusDraft, StatusAvailable, StatusArchived}
	AddonTypes    = []string{AddonTopUp, AddonOther}
	Triggers      = []string{TriggerCreation, TriggerNetworkLatch, TriggerUsageStarted}
)

func init() { events.Register("addon.created", "addon.updated") }

// addonMoves lists the status changes an operator may make.
var addonMoves = map[string][]string{
	StatusDraft:     {StatusAvailable, StatusArchived},
	StatusAvailable: {StatusArchived},
	StatusArchived:  {StatusAvailable},
}

// CheckFor holds the rules of buying the add-on for a subscription to
// plan: available, on the plan's provider, compatible with the plan and
// priced in its currency.
func (a *Addon) CheckFor(plan *Plan) error {
	switch {
	case a.Status != StatusAvailable:
		return errs.Invalid("addonNotAvailable", "The add-on %s is %s; only available add-ons can be bought.", a.ID, a.Status)
	case a.Provider != plan.Provider:
		return errs.Invalid("addonProviderMismatch", "The add-on %s runs on %s, the subscription's plan on %s.", a.ID, a.Provider, plan.Provider)
	case !slices.Contains(a.Plans, plan.ID):
		return errs.Invalid("addonNotCompatible", "The add-on %s cannot be bought for the plan %s.", a.ID, plan.ID)
	case a.Price.Currency != plan.Price.Currency:
		return errs.Invalid("addonCurrencyMismatch", "The add-on %s is priced in %s, the plan in %s.", a.ID, a.Price.Currency, plan.Price.Currency)
	}
	return nil
}

// AddonInput is the body of POST /addons and PATCH /addons/{addon}.
type AddonInput struct {
	Name              optional.Value[string]             `json:"name"`
	Description       optional.Value[string]             `json:"description"`
	Type              optional.Value[string]             `json:"type"`
	Status            optional.Value[string]             `json:"status"`
	Price             optional.Value[PriceInput]         `json:"price"`
	Provider          optional.Value[string]             `json:"provider"`
	Plans             optional.Value[[]string]           `json:"plans"`
	Allowances        optional.Value[AllowancesInput]    `json:"allowances"`
	Validity          optional.Value[AddonValidityInput] `json:"validity"`
	RecurrenceType    optional.Value[string]             `json:"recurrenceType"`
	ActivationTrigger optional.Value[string]             `json:"activationTrigger"`
	Coverage          optional.Value[string]             `json:"coverage"`
	Metadata          optional.Value[metadata.Update]    `json:"metadata"`
}

// AddonValidityInput mirrors AddonValidity.
type AddonValidityInput struct {
	Unit  optional.Value[string] `json:"unit"`
	Value optional.Value[int]    `json:"value"`
}

var coverageProfilePattern = regexp.MustCompile(`^cp_[a-z0-9_]{1,60}$`)

// required lists the fields a new add-on must have.
func (in AddonInput) required() error {
	for _, f := range []struct {
		name string
		set  bool
	}{{"name", in.Name.Set}, {"price", in.Price.Set}, {"provider", in.Provider.Set}, {"plans", in.Plans.Set}, {"allowances", in.Allowances.Set}} {
		if !f.set {
			return errs.Invalid("fieldRequired", "%s is required.", f.name)
		}
	}
	return nil
}

// applyTo writes the given fields into a, checking each one; plans are
// checked against the catalog by the caller.
func (in AddonInput) applyTo(a *Addon, providers []string) error {
	for _, f := range []struct {
		name string
		null bool
	}{{"name", in.Name.Null}, {"type", in.Type.Null}, {"status", in.Status.Null}, {"price", in.Price.Null}, {"provider", in.Provider.Null},
		{"plans", in.Plans.Null}, {"allowances", in.Allowances.Null}, {"recurrenceType", in.RecurrenceType.Null},
		{"activationTrigger", in.ActivationTrigger.Null}} {
		if err := validate.NotNull(f.name, f.null); err != nil {
			return err
		}
	}
	if in.Name.Set {
		if err := checkText("name", in.Name.Value, maxNameLength, true); err != nil {
			return err
		}
		a.Name = in.Name.Value
	}
	if in.Description.Set {
		if in.Description.Present() {
			if err := checkText("description", in.Description.Value, maxDescription, false); err != nil {
				return err
			}
		}
		a.Description = in.Description.Ptr()
	}
	for _, f := range []struct {
		name    string
		v       optional.Value[string]
		dst     *string
		allowed []string
	}{{"type", in.Type, &a.Type, AddonTypes}, {"recurrenceType", in.RecurrenceType, &a.RecurrenceType, []string{RecurrenceOneTime}},
		{"activationTrigger", in.ActivationTrigger, &a.ActivationTrigger, Triggers}} {
		if !f.v.Set {
			continue
		}
		if err := validate.OneOf(f.name, f.v.Value, f.allowed...); err != nil {
			return err
		}
		*f.dst = f.v.Value
	}
	if in.Provider.Set {
		if !slices.Contains(providers, in.Provider.Value) {
			return errs.Invalid("providerInvalid", "provider %q is not a known provider; known providers: %v.", in.Provider.Value, providers)
		}
		a.Provider = in.Provider.Value
	}
	if in.Price.Set {
		price, err := in.Price.Value.build("price")
		if err != nil {
			return err
		}
		a.Price = price
	}
	if in.Allowances.Set {
		al, err := in.Allowances.Value.build()
		if err != nil {
			return err
		}
		a.Allowances = al
	}
	if in.Validity.Set {
		v, err := in.Validity.Value.build(in.Validity.Null)
		if err != nil {
			return err
		}
		a.Validity = v
	}
	if in.Coverage.Set {
		if in.Coverage.Present() && !coverageProfilePattern.MatchString(in.Coverage.Value) {
			return errs.Invalid("coverageInvalid", "coverage must be a coverage profile id such as \"cp_europe_zone_1\", or null for the plan's.")
		}
		a.Coverage = in.Coverage.Ptr()
	}
	if in.Plans.Set {
		if len(in.Plans.Value) == 0 || len(in.Plans.Value) > 100 {
			return errs.Invalid("plansInvalid", "plans must list from 1 to 100 compatible plans.")
		}
		seen := map[string]bool{}
		for _, p := range in.Plans.Value {
			if seen[p] {
				return errs.Invalid("plansInvalid", "plans lists %s twice.", p)
			}
			seen[p] = true
		}
		a.Plans = slices.Clone(in.Plans.Value)
	}
	return nil
}

func (in AddonValidityInput) build(null bool) (*AddonValidity, error) {
	if null {
		return nil, nil
	}
	if !in.Value.Present() || !in.Unit.Present() {
		return nil, errs.Invalid("fieldRequired", "validity needs value and unit, or null to last a period of the plan.")
	}
	if err := validate.OneOf("validity.unit", in.Unit.Value, UnitDay, UnitMonth); err != nil {
		return nil, err
	}
	max := MaxValidityDays
	if in.Unit.Value == UnitMonth {
		max = MaxValidityMonths
	}
	if err := validate.Range("validity.value", int64(in.Value.Value), 1, int64(max)); err != nil {
		return nil, err
	}
	return &AddonValidity{Unit: in.Unit.Value, Value: in.Value.Value}, nil
}
