package catalog

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"

	"cellgate/internal/errs"
	"cellgate/internal/geo"
	"cellgate/internal/metadata"
	"cellgate/internal/money"
	"cellgate/internal/optional"
	"cellgate/internal/validate"
)

// PlanInput is the body of POST /plans and PATCH /plans/{plan}. On a PATCH
// a field left out keeps its value and a nested object given replaces the
// old one whole.
type PlanInput struct {
	Name         optional.Value[string]            `json:"name"`
	Description  optional.Value[string]            `json:"description"`
	Image        optional.Value[string]            `json:"image"`
	Provider     optional.Value[string]            `json:"provider"`
	SimTypes     optional.Value[[]string]          `json:"simTypes"`
	Price        optional.Value[PriceInput]        `json:"price"`
	Allowances   optional.Value[AllowancesInput]   `json:"allowances"`
	Limits       optional.Value[LimitsInput]       `json:"limits"`
	Requirements optional.Value[RequirementsInput] `json:"requirements"`
	Validity     optional.Value[ValidityInput]     `json:"validity"`
	Coverage     optional.Value[CoverageInput]     `json:"coverage"`
	Status       optional.Value[string]            `json:"status"`
	Metadata     optional.Value[metadata.Update]   `json:"metadata"`
}

// PriceInput is a price in a request; both fields are required.
type PriceInput struct {
	Amount   optional.Value[int64]  `json:"amount"`
	Currency optional.Value[string] `json:"currency"`
}

// AllowancesInput must name all three allowances; null means unlimited, so
// that leaving one out can never make it unlimited by accident.
type AllowancesInput struct {
	DataBytes    optional.Value[int64] `json:"dataBytes"`
	VoiceSeconds optional.Value[int64] `json:"voiceSeconds"`
	SMSMessages  optional.Value[int64] `json:"smsMessages"`
}

// LimitsInput mirrors Limits.
type LimitsInput struct {
	DataBytes              optional.Value[int64]      `json:"dataBytes"`
	BandwidthBitsPerSecond optional.Value[int64]      `json:"bandwidthBitsPerSecond"`
	Throttling             optional.Value[Throttling] `json:"throttling"`
}

// RequirementsInput mirrors Requirements; a requirement left out is none.
type RequirementsInput struct {
	Address      optional.Value[string] `json:"address"`
	UserBirthday optional.Value[string] `json:"user.birthday"`
	UserFullName optional.Value[string] `json:"user.fullName"`
	Device       optional.Value[string] `json:"device"`
}

// ValidityInput mirrors Validity; minimumPeriods defaults to 1.
type ValidityInput struct {
	Value          optional.Value[int]    `json:"value"`
	Unit           optional.Value[string] `json:"unit"`
	Type           optional.Value[string] `json:"type"`
	MinimumPeriods optional.Value[int]    `json:"minimumPeriods"`
}

// CoverageInput mirrors Coverage.
type CoverageInput struct {
	ID        optional.Value[string]   `json:"id"`
	Countries optional.Value[[]string] `json:"countries"`
	Name      optional.Value[string]   `json:"name"`
}

// required lists the fields a new plan must have.
func (in PlanInput) required() error {
	for _, f := range []struct {
		name string
		set  bool
	}{{"name", in.Name.Set}, {"provider", in.Provider.Set}, {"simTypes", in.SimTypes.Set}, {"price", in.Price.Set},
		{"allowances", in.Allowances.Set}, {"validity", in.Validity.Set}} {
		if !f.set {
			return errs.Invalid("fieldRequired", "%s is required.", f.name)
		}
	}
	return nil
}

// applyTo writes the given fields into p, checking each one.
func (in PlanInput) applyTo(p *Plan, providers []string) error {
	for _, f := range []struct {
		name string
		null bool
	}{{"name", in.Name.Null}, {"provider", in.Provider.Null}, {"simTypes", in.SimTypes.Null}, {"price", in.Price.Null},
		{"allowances", in.Allowances.Null}, {"validity", in.Validity.Null}, {"requirements", in.Requirements.Null},
		{"status", in.Status.Null}} {
		if err := validate.NotNull(f.name, f.null); err != nil {
			return err
		}
	}
	if in.Name.Set {
		if err := checkText("name", in.Name.Value, maxNameLength, true); err != nil {
			return err
		}
		p.Name = in.Name.Value
	}
	if in.Description.Set {
		if in.Description.Present() {
			if err := checkText("description", in.Description.Value, maxDescription, false); err != nil {
				return err
			}
		}
		p.Description = in.Description.Ptr()
	}
	if in.Image.Set {
		if in.Image.Present() {
			if u, err := url.Parse(in.Image.Value); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return errs.Invalid("imageInvalid", "image must be an http or https URL; got %q.", in.Image.Value)
			}
		}
		p.Image = in.Image.Ptr()
	}
	if in.Provider.Set {
		if !slices.Contains(providers, in.Provider.Value) {
			return errs.Invalid("providerInvalid", "provider %q is not a known provider; known providers: %v.", in.Provider.Value, providers)
		}
		p.Provider = in.Provider.Value
	}
	if in.SimTypes.Set {
		if err := checkSIMTypes(in.SimTypes.Value); err != nil {
			return err
		}
		p.SimTypes = canonicalSIMTypes(in.SimTypes.Value)
	}
	if in.Price.Set {
		price, err := in.Price.Value.build("price")
		if err != nil {
			return err
		}
		p.Price = price
	}
	if in.Allowances.Set {
		a, err := in.Allowances.Value.build()
		if err != nil {
			return err
		}
		p.Allowances = a
	}
	if in.Limits.Set {
		l, err := in.Limits.Value.build(in.Limits.Null)
		if err != nil {
			return err
		}
		p.Limits = l
	}
	if in.Requirements.Set {
		r, err := in.Requirements.Value.build()
		if err != nil {
			return err
		}
		p.Requirements = r
	}
	if in.Validity.Set {
		v, err := in.Validity.Value.build()
		if err != nil {
			return err
		}
		p.Validity = v
	}
	if in.Coverage.Set {
		c, err := in.Coverage.Value.build(in.Coverage.Null)
		if err != nil {
			return err
		}
		p.Coverage = c
	}
	return nil
}

func checkText(field, v string, max int, required bool) error {
	if required {
		if err := validate.Required(field, v); err != nil {
			return err
		}
	}
	return validate.MaxLength(field, v, max)
}

func checkSIMTypes(types []string) error {
	if len(types) == 0 {
		return errs.Invalid("simTypesInvalid", "simTypes must list at least one SIM type.")
	}
	seen := map[string]bool{}
	for i, t := range types {
		if err := validate.OneOf(fmt.Sprintf("simTypes[%d]", i), t, SIMTypeESIM, SIMTypePSIM); err != nil {
			return err
		}
		if seen[t] {
			return errs.Invalid("simTypesInvalid", "simTypes lists %s twice.", t)
		}
		seen[t] = true
	}
	return nil
}

// canonicalSIMTypes orders SIM types as they are read back from the store,
// so the response to a write equals every later read of the plan.
func canonicalSIMTypes(types []string) []string {
	out := []string{}
	for _, t := range []string{SIMTypeESIM, SIMTypePSIM} {
		if contains(types, t) {
			out = append(out, t)
		}
	}
	return out
}

func (in PriceInput) build(field string) (money.Price, error) {
	if !in.Amount.Present() {
		return money.Price{}, errs.Invalid("fieldRequired", "%s.amount is required.", field)
	}
	if !in.Currency.Present() {
		return money.Price{}, errs.Invalid("fieldRequired", "%s.currency is required.", field)
	}
	if in.Amount.Value < 0 {
		return money.Price{}, errs.Invalid("priceInvalid", "%s.amount must not be negative.", field)
	}
	if err := money.CheckAmount(field+".amount", in.Amount.Value); err != nil {
		return money.Price{}, err
	}
	if !money.ValidCurrency(in.Currency.Value) {
		return money.Price{}, errs.Invalid("currencyInvalid", "%s.currency %q is not an ISO 4217 currency code.", field, in.Currency.Value)
	}
	return money.Price{Amount: in.Amount.Value, Currency: in.Currency.Value}, nil
}

// nonNegative reads a nullable count: null (nil) is unlimited.
func nonNegative(field string, v optional.Value[int64]) (*int64, error) {
	if !v.Present() {
		return nil, nil
	}
	if v.Value < 0 {
		return nil, errs.Invalid("valueOutOfRange", "%s must not be negative.", field)
	}
	return v.Ptr(), nil
}

func (in AllowancesInput) build() (Allowances, error) {
	var a Allowances
	for _, f := range []struct {
		name string
		v    optional.Value[int64]
		dst  **int64
	}{{"dataBytes", in.DataBytes, &a.DataBytes}, {"voiceSeconds", in.VoiceSeconds, &a.VoiceSeconds}, {"smsMessages", in.SMSMessages, &a.SMSMessages}} {
		if !f.v.Set {
			return a, errs.Invalid("fieldRequired", "allowances.%s is required; use null for unlimited.", f.name)
		}
		n, err := nonNegative("allowances."+f.name, f.v)
		if err != nil {
			return a, err
		}
		*f.dst = n
	}
	return a, nil
}

func (in LimitsInput) build(null bool) (*Limits, error) {
	if null {
		return nil, nil
	}
	var (
		l   Limits
		err error
	)
	if l.DataBytes, err = nonNegative("limits.dataBytes", in.DataBytes); err != nil {
		return nil, err
	}
	if l.BandwidthBitsPerSecond, err = nonNegative("limits.bandwidthBitsPerSecond", in.BandwidthBitsPerSecond); err != nil {
		return nil, err
	}
	if in.Throttling.Present() {
		t := in.Throttling.Value
		if t.ThresholdBytes <= 0 || t.BandwidthBitsPerSecond <= 0 {
			return nil, errs.Invalid("limitsInvalid", "limits.throttling needs a positive thresholdBytes and bandwidthBitsPerSecond.")
		}
		l.Throttling = &t
	}
	return &l, nil
}

func (in RequirementsInput) build() (Requirements, error) {
	r := Requirements{Address: RequirementNone, UserBirthday: RequirementNone, UserFullName: RequirementNone, Device: RequirementNone}
	for _, f := range []struct {
		name    string
		v       optional.Value[string]
		dst     *string
		allowed []string
	}{
		{"address", in.Address, &r.Address, []string{RequirementNone, RequirementPresent, RequirementVerified}},
		{"user.birthday", in.UserBirthday, &r.UserBirthday, []string{RequirementNone, RequirementPresent, RequirementVerified}},
		{"user.fullName", in.UserFullName, &r.UserFullName, []string{RequirementNone, RequirementPresent, RequirementVerified}},
		{"device", in.Device, &r.Device, []string{RequirementNone, RequirementPresent}},
	} {
		if !f.v.Set {
			continue
		}
		if err := validate.NotNull("requirements."+f.name, f.v.Null); err != nil {
			return r, err
		}
		if err := validate.OneOf("requirements."+f.name, f.v.Value, f.allowed...); err != nil {
			return r, err
		}
		*f.dst = f.v.Value
	}
	return r, nil
}

func (in ValidityInput) build() (Validity, error) {
	v := Validity{MinimumPeriods: 1}
	if !in.Value.Present() || !in.Unit.Present() || !in.Type.Present() {
		return v, errs.Invalid("fieldRequired", "validity needs value, unit and type.")
	}
	if err := validate.OneOf("validity.unit", in.Unit.Value, UnitDay, UnitMonth); err != nil {
		return v, err
	}
	if err := validate.OneOf("validity.type", in.Type.Value, ValidityRecurring, ValidityOneTime); err != nil {
		return v, err
	}
	max := MaxValidityDays
	if in.Unit.Value == UnitMonth {
		max = MaxValidityMonths
	}
	if err := validate.Range("validity.value", int64(in.Value.Value), 1, int64(max)); err != nil {
		return v, err
	}
	if in.MinimumPeriods.Set {
		if err := validate.NotNull("validity.minimumPeriods", in.MinimumPeriods.Null); err != nil {
			return v, err
		}
		if err := validate.Range("validity.minimumPeriods", int64(in.MinimumPeriods.Value), 1, MaxMinimumPeriods); err != nil {
			return v, err
		}
		v.MinimumPeriods = in.MinimumPeriods.Value
	}
	if in.Type.Value == ValidityOneTime && v.MinimumPeriods != 1 {
		return v, errs.Invalid("validityInvalid", "validity.minimumPeriods must be 1 for a oneTime plan, which has a single period.")
	}
	v.Value, v.Unit, v.Type = in.Value.Value, in.Unit.Value, in.Type.Value
	return v, nil
}

var coverageIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func (in CoverageInput) build(null bool) (*Coverage, error) {
	if null {
		return nil, nil
	}
	if !in.ID.Present() || !coverageIDPattern.MatchString(in.ID.Value) {
		return nil, errs.Invalid("coverageInvalid", "coverage.id must be a lower-case slug such as \"us\" or \"europe\".")
	}
	if err := checkText("coverage.name", in.Name.Value, maxNameLength, true); err != nil {
		return nil, err
	}
	if !in.Countries.Present() || len(in.Countries.Value) == 0 {
		return nil, errs.Invalid("coverageInvalid", "coverage.countries must list at least one country.")
	}
	for i, c := range in.Countries.Value {
		if !geo.ValidCountry(c) {
			return nil, errs.Invalid("coverageInvalid", "coverage.countries[%d] %q is not an ISO 3166-1 alpha-2 code.", i, c)
		}
	}
	return &Coverage{Object: "coverage", ID: in.ID.Value, Countries: in.Countries.Value, Name: in.Name.Value}, nil
}
