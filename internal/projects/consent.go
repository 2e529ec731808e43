package projects

import (
	"fmt"
	"slices"

	"cellgate/internal/errs"
	"cellgate/internal/optional"
	"cellgate/internal/validate"
)

// Consent is a project's consent setting (reference §2.1 `consent`,
// docs/porting.md "Consent requests"): the actions that wait for the
// user's consent and how the request reaches the user. A nil *Consent
// means consent is not checked.
type Consent struct {
	// DeliveryMethods are the reference's field: how a consent request
	// reaches the user. Only "email" exists.
	DeliveryMethods []string `json:"deliveryMethods"`
	// Actions is cellgate's addition: the actions that need consent.
	// Only "portOut" is enforced so far.
	Actions []string `json:"actions"`
}

// Consent actions and delivery methods.
const (
	ConsentPortOut       = "portOut"
	ConsentDeliveryEmail = "email"
)

// ConsentActions and ConsentDeliveryMethods are the allowed values.
var (
	ConsentActions         = []string{ConsentPortOut}
	ConsentDeliveryMethods = []string{ConsentDeliveryEmail}
)

// Requires reports whether action waits for the user's consent.
func (p *Project) Requires(action string) bool {
	return p.Consent != nil && slices.Contains(p.Consent.Actions, action)
}

// ConsentUpdate is the body form of the consent object: null turns
// consent off; each field may be left out to keep its value.
type ConsentUpdate struct {
	DeliveryMethods optional.Value[[]string] `json:"deliveryMethods"`
	Actions         optional.Value[[]string] `json:"actions"`
}

func applyConsent(current *Consent, u optional.Value[ConsentUpdate]) (*Consent, error) {
	if u.Null {
		return nil, nil
	}
	out := Consent{DeliveryMethods: []string{ConsentDeliveryEmail}, Actions: []string{}}
	if current != nil {
		out = *current
	}
	for _, f := range []struct {
		name    string
		v       optional.Value[[]string]
		allowed []string
		dst     *[]string
		least   int
	}{{"consent.deliveryMethods", u.Value.DeliveryMethods, ConsentDeliveryMethods, &out.DeliveryMethods, 1},
		{"consent.actions", u.Value.Actions, ConsentActions, &out.Actions, 0}} {
		if !f.v.Set {
			continue
		}
		if err := validate.NotNull(f.name, f.v.Null); err != nil {
			return nil, err
		}
		if len(f.v.Value) < f.least {
			return nil, errs.Invalid("consentInvalid", "%s must list at least one of %v.", f.name, f.allowed)
		}
		seen := map[string]bool{}
		for i, v := range f.v.Value {
			if err := validate.OneOf(fmt.Sprintf("%s[%d]", f.name, i), v, f.allowed...); err != nil {
				return nil, err
			}
			if seen[v] {
				return nil, errs.Invalid("consentInvalid", "%s lists %q twice.", f.name, v)
			}
			seen[v] = true
		}
		*f.dst = append([]string{}, f.v.Value...)
	}
	return &out, nil
}
