package connect

import (
	"context"
	"encoding/json"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/payments"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/vouchers"
)

// Intent types (reference §2.17).
const (
	CheckoutNewSubscription = "checkoutNewSubscription"
	CheckoutAddon           = "checkoutAddon"
	ChangeSubscription      = "changeSubscription"
	CancelSubscription      = "cancelSubscription"
	ResumeSubscription      = "resumeSubscription"
	CompletePorting         = "completePorting"
	ConfirmPayment          = "confirmPayment"
	UpdatePaymentMethod     = "updatePaymentMethod"
	UpdateUserAddress       = "updateUserAddress"
	UpdateUserFullName      = "updateUserFullName"
	ViewEsimInstallation    = "viewEsimInstallation"
	ViewSubscription        = "viewSubscription"
	ViewSubscriptions       = "viewSubscriptions"
)

// IntentTypes lists every intent type, in the documented order.
var IntentTypes = []string{CheckoutNewSubscription, CheckoutAddon, ChangeSubscription, CancelSubscription,
	ResumeSubscription, CompletePorting, ConfirmPayment, UpdatePaymentMethod, UpdateUserAddress,
	UpdateUserFullName, ViewEsimInstallation, ViewSubscription, ViewSubscriptions}

// Checkout is the checkoutNewSubscription intent.
type Checkout struct {
	Plan        string   `json:"plan"`
	Addons      []string `json:"addons,omitempty"`
	Device      *string  `json:"device,omitempty"`
	SIM         *string  `json:"sim,omitempty"`
	IMEI        *string  `json:"imei,omitempty"`
	VoucherCode *string  `json:"voucherCode,omitempty"`
}

// AddonCheckout is the checkoutAddon intent.
type AddonCheckout struct {
	Addons       []string `json:"addons"`
	Subscription string   `json:"subscription"`
}

// OfSubscription is the body of the intents about one subscription.
type OfSubscription struct {
	Subscription string `json:"subscription"`
}

// Porting is the completePorting intent.
type Porting struct {
	Subscription string    `json:"subscription"`
	Behavior     *Behavior `json:"behavior,omitempty"`
}

// Behavior hides the porting flow's intro or outro page.
type Behavior struct {
	HideIntroPage bool `json:"hideIntroPage"`
	HideOutroPage bool `json:"hideOutroPage"`
}

// PaymentRef is the confirmPayment intent.
type PaymentRef struct {
	Payment string `json:"payment"`
}

// Empty is the body of intents that name nothing (it may be left out).
type Empty struct{}

// Intent is {type, <type>: {...}}: exactly the object named by type may
// be given.
type Intent struct {
	Type                    string          `json:"type"`
	CheckoutNewSubscription *Checkout       `json:"checkoutNewSubscription,omitempty"`
	CheckoutAddon           *AddonCheckout  `json:"checkoutAddon,omitempty"`
	ChangeSubscription      *OfSubscription `json:"changeSubscription,omitempty"`
	CancelSubscription      *OfSubscription `json:"cancelSubscription,omitempty"`
	ResumeSubscription      *OfSubscription `json:"resumeSubscription,omitempty"`
	CompletePorting         *Porting        `json:"completePorting,omitempty"`
	ConfirmPayment          *PaymentRef     `json:"confirmPayment,omitempty"`
	UpdatePaymentMethod     *Empty          `json:"updatePaymentMethod,omitempty"`
	UpdateUserAddress       *Empty          `json:"updateUserAddress,omitempty"`
	UpdateUserFullName      *Empty          `json:"updateUserFullName,omitempty"`
	ViewEsimInstallation    *OfSubscription `json:"viewEsimInstallation,omitempty"`
	ViewSubscription        *OfSubscription `json:"viewSubscription,omitempty"`
	ViewSubscriptions       *Empty          `json:"viewSubscriptions,omitempty"`
}

// bodies maps each type to whether its object is given.
func (in *Intent) bodies() map[string]bool {
	return map[string]bool{
		CheckoutNewSubscription: in.CheckoutNewSubscription != nil, CheckoutAddon: in.CheckoutAddon != nil,
		ChangeSubscription: in.ChangeSubscription != nil, CancelSubscription: in.CancelSubscription != nil,
		ResumeSubscription: in.ResumeSubscription != nil, CompletePorting: in.CompletePorting != nil,
		ConfirmPayment: in.ConfirmPayment != nil, UpdatePaymentMethod: in.UpdatePaymentMethod != nil,
		UpdateUserAddress: in.UpdateUserAddress != nil, UpdateUserFullName: in.UpdateUserFullName != nil,
		ViewEsimInstallation: in.ViewEsimInstallation != nil, ViewSubscription: in.ViewSubscription != nil,
		ViewSubscriptions: in.ViewSubscriptions != nil,
	}
}

// Subscription is the subscription the intent is about, if any.
func (in *Intent) Subscription() string {
	for _, s := range []*OfSubscription{in.ChangeSubscription, in.CancelSubscription, in.ResumeSubscription,
		in.ViewEsimInstallation, in.ViewSubscription} {
		if s != nil {
			return s.Subscription
		}
	}
	if in.CheckoutAddon != nil {
		return in.CheckoutAddon.Subscription
	}
	if in.CompletePorting != nil {
		return in.CompletePorting.Subscription
	}
	return ""
}

// shape checks the intent's form: a known type, its object (required when
// it has required fields) and no other type's object.
func (in *Intent) shape() error {
	known := false
	for _, t := range IntentTypes {
		known = known || t == in.Type
	}
	if in.Type == "" {
		return errs.Invalid("fieldRequired", "intent.type is required.")
	}
	if !known {
		return errs.Invalid("invalidEnumValue", "intent.type %q is not an intent type.", in.Type).
			WithHint("Use one of checkoutNewSubscription, checkoutAddon, changeSubscription, cancelSubscription, resumeSubscription, completePorting, confirmPayment, updatePaymentMethod, updateUserAddress, updateUserFullName, viewEsimInstallation, viewSubscription, viewSubscriptions.")
	}
	for t, given := range in.bodies() {
		if given && t != in.Type {
			return errs.Invalid("connectSessionIntentInvalid", "intent.%s is given but intent.type is %s.", t, in.Type)
		}
	}
	switch in.Type {
	case UpdatePaymentMethod, UpdateUserAddress, UpdateUserFullName, ViewSubscriptions:
		return nil
	}
	if !in.bodies()[in.Type] {
		return errs.Invalid("fieldRequired", "intent.%s is required for intent.type %s.", in.Type, in.Type)
	}
	switch {
	case in.CheckoutNewSubscription != nil && in.CheckoutNewSubscription.Plan == "":
		return errs.Invalid("fieldRequired", "intent.checkoutNewSubscription.plan is required.")
	case in.CheckoutAddon != nil && len(in.CheckoutAddon.Addons) == 0:
		return errs.Invalid("fieldRequired", "intent.checkoutAddon.addons needs at least one add-on.")
	case in.ConfirmPayment != nil && in.ConfirmPayment.Payment == "":
		return errs.Invalid("fieldRequired", "intent.confirmPayment.payment is required.")
	}
	if in.Type != CheckoutNewSubscription && in.Type != ConfirmPayment && in.Subscription() == "" {
		return errs.Invalid("fieldRequired", "intent.%s.subscription is required.", in.Type)
	}
	return nil
}

// check refuses, at creation, an intent the pages could not carry out:
// something it names does not exist, is archived, is another user's, or
// is in a state the intent cannot act on.
func (in *Intent) check(ctx context.Context, q store.Querier, project, user string, now time.Time) error {
	if err := in.shape(); err != nil {
		return err
	}
	if c := in.CheckoutNewSubscription; c != nil {
		p, err := catalog.GetPlan(ctx, q, project, c.Plan)
		if errs.IsKind(err, errs.KindNotFound) {
			return errs.Invalid("planNotFound", "intent.checkoutNewSubscription.plan %s does not exist.", c.Plan)
		}
		if err != nil {
			return err
		}
		if p.Status != catalog.StatusAvailable {
			return errs.Invalid("planNotAvailable", "Plan %s is %s: a checkout needs an available plan.", p.ID, p.Status)
		}
		if err := checkAddons(ctx, q, project, "intent.checkoutNewSubscription.addons", c.Addons); err != nil {
			return err
		}
		if c.VoucherCode != nil {
			if _, err := vouchers.Resolve(ctx, q, project, *c.VoucherCode, p.ID, p.Price.Currency, now); err != nil {
				return err
			}
		}
		if c.IMEI != nil && !validIMEI(*c.IMEI) {
			return errs.Invalid("imeiInvalid", "intent.checkoutNewSubscription.imei must be 15 digits.")
		}
		return nil
	}
	if user == "" {
		return errs.Invalid("connectSessionUserRequired", "A %s intent acts for a user: give user.", in.Type)
	}
	if p := in.ConfirmPayment; p != nil {
		pay, err := payments.Get(ctx, q, project, p.Payment)
		if errs.IsKind(err, errs.KindNotFound) || (err == nil && pay.User != user) {
			return errs.Invalid("paymentNotFound", "Payment %s does not exist for user %s.", p.Payment, user)
		}
		return err
	}
	id := in.Subscription()
	if id == "" {
		return nil
	}
	sub, err := subscriptions.Get(ctx, q, project, id, now)
	if errs.IsKind(err, errs.KindNotFound) || (err == nil && (sub.User == nil || sub.User.ID != user)) {
		// Another user's subscription is answered as a missing one.
		return errs.Invalid("subscriptionNotFound", "Subscription %s does not exist for user %s.", id, user)
	}
	if err != nil {
		return err
	}
	ended := sub.Status == subscriptions.StatusEnded
	switch in.Type {
	case ResumeSubscription:
		if ended {
			return errs.Invalid("subscriptionEnded", "Subscription %s has ended: it cannot be resumed.", id)
		}
		if sub.CanceledAt == nil {
			return errs.Invalid("subscriptionNotCanceled", "Subscription %s is not canceled: there is nothing to resume.", id)
		}
	case CancelSubscription, ChangeSubscription, CheckoutAddon, CompletePorting:
		if ended {
			return errs.Invalid("subscriptionEnded", "Subscription %s has ended.", id)
		}
	}
	if a := in.CheckoutAddon; a != nil {
		return checkAddons(ctx, q, project, "intent.checkoutAddon.addons", a.Addons)
	}
	return nil
}

func checkAddons(ctx context.Context, q store.Querier, project, field string, list []string) error {
	for _, id := range list {
		a, err := catalog.GetAddon(ctx, q, project, id)
		if errs.IsKind(err, errs.KindNotFound) {
			return errs.Invalid("addonNotFound", "%s: add-on %s does not exist.", field, id)
		}
		if err != nil {
			return err
		}
		if a.Status != catalog.StatusAvailable {
			return errs.Invalid("addonNotAvailable", "%s: add-on %s is %s.", field, id, a.Status)
		}
	}
	return nil
}

func validIMEI(s string) bool {
	if len(s) != 15 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// marshal stores the intent as JSON.
func (in *Intent) marshal() string {
	b, _ := json.Marshal(in)
	return string(b)
}
