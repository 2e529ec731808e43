package projects

import (
	"slices"
	"strings"
	"testing"

	"cellgate/internal/errs"
	"cellgate/internal/optional"
)

// TestConsentSettingNamesKnownActionsAndMethods: consent null turns it
// off; an object turns it on (email, no actions) or changes the fields
// given; unknown, repeated or missing values are invalid and name the
// field (docs/porting.md, "Consent requests").
func TestConsentSettingNamesKnownActionsAndMethods(t *testing.T) {
	portOut := &Consent{DeliveryMethods: []string{"email"}, Actions: []string{"portOut"}}
	for _, c := range []struct {
		name    string
		current *Consent
		in      optional.Value[ConsentUpdate]
		want    *Consent
		code    string // "" when valid
	}{
		{"null turns it off", portOut, optional.Value[ConsentUpdate]{Set: true, Null: true}, nil, ""},
		{"an empty object turns it on", nil, optional.Of(ConsentUpdate{}), &Consent{DeliveryMethods: []string{"email"}, Actions: []string{}}, ""},
		{"actions", nil, optional.Of(ConsentUpdate{Actions: optional.Of([]string{"portOut"})}), portOut, ""},
		{"a field left out keeps its value", portOut, optional.Of(ConsentUpdate{DeliveryMethods: optional.Of([]string{"email"})}), portOut, ""},
		{"no actions", portOut, optional.Of(ConsentUpdate{Actions: optional.Of([]string{})}), &Consent{DeliveryMethods: []string{"email"}, Actions: []string{}}, ""},
		{"unknown action", nil, optional.Of(ConsentUpdate{Actions: optional.Of([]string{"simSwap"})}), nil, "consent.actions[0]"},
		{"repeated action", nil, optional.Of(ConsentUpdate{Actions: optional.Of([]string{"portOut", "portOut"})}), nil, "consentInvalid"},
		{"unknown method", nil, optional.Of(ConsentUpdate{DeliveryMethods: optional.Of([]string{"sms"})}), nil, "consent.deliveryMethods[0]"},
		{"no method", nil, optional.Of(ConsentUpdate{DeliveryMethods: optional.Of([]string{})}), nil, "consentInvalid"},
		{"null methods", nil, optional.Of(ConsentUpdate{DeliveryMethods: optional.Value[[]string]{Set: true, Null: true}}), nil, "deliveryMethods"},
	} {
		got, err := applyConsent(c.current, c.in)
		if c.code != "" {
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.KindInvalid || (e.Code != c.code && !strings.Contains(e.Message, c.code)) {
				t.Errorf("%s: err = %v, want invalid naming %s", c.name, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if (got == nil) != (c.want == nil) || (got != nil && (!slices.Equal(got.Actions, c.want.Actions) || !slices.Equal(got.DeliveryMethods, c.want.DeliveryMethods))) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
