package subscriptions

import (
	"context"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/devices"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/metadata"
	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/porting"
	"cellgate/internal/projects"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/users"
	"cellgate/internal/validate"
)

// Service runs the lifecycle; it needs the carriers behind the SIMs. It
// knows nothing of invoices: its steps return what they did, and the
// package above it tells the billing engine (docs/architecture.md).
type Service struct {
	Carriers *network.Registry
	// Porting brings numbers in for subscriptions created with one.
	Porting *porting.Service
}

// Timer kinds of the lifecycle.
const (
	KindActivate  = "subscription.activate"
	KindPeriodEnd = "subscription.periodEnd"
)

// Values of the sim field besides a SIM id.
const (
	SIMAuto           = "auto"
	SIMPreferLastUsed = "preferLastUsed"
)

// CreateInput is the body of POST /subscriptions.
type CreateInput struct {
	Plan        string                          `json:"plan"`
	User        string                          `json:"user"`
	SIM         string                          `json:"sim"`
	UserAddress optional.Value[string]          `json:"userAddress"`
	Metadata    optional.Value[metadata.Update] `json:"metadata"`
	// Billing overrides the project's delinquency settings for this
	// subscription (billed projects only).
	Billing optional.Value[BillingInput] `json:"billing"`
	// VoucherCode discounts its invoices (billed projects only); package
	// lines redeems it, the subscription only carries it.
	VoucherCode *string `json:"voucherCode"`
	// Porting is a draft porting whose number the subscription takes
	// instead of one from the pool (docs/porting.md).
	Porting optional.Value[string] `json:"porting"`
	// Device is the user's device the SIM goes in; required by a plan
	// whose requirements.device is present (docs/devices.md).
	Device optional.Value[string] `json:"device"`
}

// Create starts a subscription: pending until the provider activates it.
// In a billed project it starts initiated instead and the returned Billed
// is set: its first invoice is to be issued, and ActivatePaid follows once
// that is paid (docs/billing.md §2).
func (s *Service) Create(ctx context.Context, tx *store.Tx, project string, in CreateInput, now time.Time) (*Subscription, *Billed, error) {
	for _, f := range []struct{ name, v string }{{"plan", in.Plan}, {"user", in.User}, {"sim", in.SIM}} {
		if err := validate.Required(f.name, f.v); err != nil {
			return nil, nil, err
		}
	}
	md, err := metadata.ApplyField(nil, in.Metadata)
	if err != nil {
		return nil, nil, err
	}
	plan, err := catalog.GetPlan(ctx, tx, project, in.Plan)
	if err != nil {
		return nil, nil, referenced(err, "plan")
	}
	if plan.Status != catalog.StatusAvailable {
		return nil, nil, errs.Invalid("planNotAvailable", "The plan %s is %s; only available plans can be subscribed to.", plan.ID, plan.Status)
	}
	user, err := users.Get(ctx, tx, project, in.User)
	if err != nil {
		return nil, nil, referenced(err, "user")
	}
	addressID, err := checkRequirements(ctx, tx, project, plan, user, in.UserAddress)
	if err != nil {
		return nil, nil, err
	}
	settings, err := s.billingOf(ctx, tx, project, plan)
	if err != nil {
		return nil, nil, err
	}
	if in.Billing.Present() && settings == nil {
		return nil, nil, errs.Conflict("billingNotEnabled", "The project does not bill, so the subscription takes no billing settings.").
			WithHint("Turn Billing on with PATCH /projects/{project} first.")
	}
	sim, err := s.chooseSIM(ctx, tx, project, plan, user.ID, in.SIM, now)
	if err != nil {
		return nil, nil, err
	}
	if err := sims.Claim(ctx, tx, sim, user.ID); err != nil {
		return nil, nil, err
	}
	if err := devices.Require(ctx, tx, project, in.Device.Value, user.ID, plan.Requirements.Device != catalog.RequirementNone, plan.SimTypes, sim.ID, now); err != nil {
		return nil, nil, err
	}
	r := &record{ID: ids.New(ids.Subscription), Project: project, PlanID: plan.ID, UserID: user.ID, Status: StatusPending,
		CreatedAt: now, SIMID: sim.ID, AddressID: addressID, Metadata: md, plan: plan, Billed: settings != nil}
	if err := s.number(ctx, tx, r, sim, in.Porting, now); err != nil {
		return nil, nil, err
	}
	if in.Billing.Present() {
		if err := in.Billing.Value.apply(r); err != nil {
			return nil, nil, err
		}
	}
	if settings != nil {
		return s.createBilled(ctx, tx, r, now)
	}
	if err := insert(ctx, tx, r); err != nil {
		return nil, nil, err
	}
	if err := s.requestActivation(ctx, tx, r, sim, now); err != nil {
		return nil, nil, err
	}
	v, err := view(ctx, tx, r, now)
	if err != nil {
		return nil, nil, err
	}
	return v, nil, events.Record(ctx, tx, project, "subscription.created", r.ID, v, now)
}

// billingOf is the project's billing settings, nil when the project is not
// billed; a billed project only sells plans priced in its currency.
func (s *Service) billingOf(ctx context.Context, tx *store.Tx, project string, plan *catalog.Plan) (*projects.Billing, error) {
	// Held to the end: a PATCH that turns Billing off or changes the
	// currency waits, and then sees this subscription (billingInUse).
	p, err := projects.LockShared(ctx, tx, project)
	if err != nil || p.Billing == nil {
		return nil, err
	}
	if plan.Price.Currency != p.Billing.Currency {
		return nil, errs.Invalid("planCurrencyMismatch", "The plan %s is priced in %s but the project bills in %s.", plan.ID, plan.Price.Currency, p.Billing.Currency)
	}
	return p.Billing, nil
}

// createBilled starts a subscription of a billed project: initiated; the
// provider is asked to activate the line only once its first invoice is
// paid, which may be at once (docs/billing.md §2).
func (s *Service) createBilled(ctx context.Context, tx *store.Tx, r *record, now time.Time) (*Subscription, *Billed, error) {
	r.Status = StatusInitiated
	if err := insert(ctx, tx, r); err != nil {
		return nil, nil, err
	}
	v, err := view(ctx, tx, r, now)
	if err != nil {
		return nil, nil, err
	}
	return v, r.billed(), events.Record(ctx, tx, r.Project, "subscription.created", r.ID, v, now)
}

// ActivatePaid moves an initiated subscription whose first invoice is paid
// to pending and requests its activation; any other status is left alone.
// It returns the view of the subscription it moved; nil when it left it.
func (s *Service) ActivatePaid(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Subscription, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil || r.Status != StatusInitiated {
		return nil, err
	}
	before, err := view(ctx, tx, r, now)
	if err != nil {
		return nil, err
	}
	sim, err := sims.GetRecord(ctx, tx, project, r.SIMID)
	if err != nil {
		return nil, err
	}
	r.Status = StatusPending
	if err := s.requestActivation(ctx, tx, r, sim, now); err != nil {
		return nil, err
	}
	return s.commit(ctx, tx, r, now, func(after *Subscription) error {
		return events.RecordUpdate(ctx, tx, r.Project, "subscription.updated", r.ID, before, after, now)
	})
}

// requestActivation records the request to start the line; the
// activation is scheduled once the carrier says when it confirms. A line
// waiting for its ported number starts when the porting completes.
func (s *Service) requestActivation(ctx context.Context, tx *store.Tx, r *record, sim *sims.Record, now time.Time) error {
	if r.PortingID != "" {
		if waiting, err := porting.Waiting(ctx, tx, r.PortingID); err != nil || waiting {
			return err
		}
	}
	return tellCarrier(ctx, tx, r, sim, OpActivate, now)
}

// number gives the new subscription its number: the porting's, or one
// from the provider's pool.
func (s *Service) number(ctx context.Context, tx *store.Tx, r *record, sim *sims.Record, p optional.Value[string], now time.Time) error {
	if !p.Present() {
		number, err := sims.AssignNumber(ctx, tx, s.Carriers, sim, now)
		r.PhoneNumber = number
		return err
	}
	if sim.PhoneNumber != "" {
		return errs.Invalid("portingSimHasPhoneNumber", "The SIM %s already has the number %s; a ported number needs a SIM without one.", sim.ID, sim.PhoneNumber).
			WithHint("Use sim \"auto\" for a new eSIM, or a pSIM that has not been used.")
	}
	pr, err := s.Porting.Attach(ctx, tx, r.Project, p.Value, r.UserID, r.plan.Provider, r.ID, now)
	if err != nil {
		return err
	}
	r.PortingID, r.PhoneNumber = pr.ID, pr.PhoneNumber
	return nil
}

// referenced turns a missing referenced resource into an invalid request:
// the URL exists, the body names something that does not.
func referenced(err error, field string) error {
	if e, ok := errs.As(err); ok && e.Kind == errs.KindNotFound {
		return errs.Invalid(field+"NotFound", "%s: %s", field, e.Message)
	}
	return err
}

// checkRequirements enforces the plan's requirements (none, present or
// verified) and returns the address to record. Addresses and user fields
// are validated when stored, so "verified" asks no more than "present";
// docs/lifecycle.md explains.
func checkRequirements(ctx context.Context, tx *store.Tx, project string, plan *catalog.Plan, user *users.User, address optional.Value[string]) (string, error) {
	req := plan.Requirements
	addressID := ""
	if address.Present() {
		a, err := users.GetAddress(ctx, tx, project, user.ID, address.Value)
		if err != nil {
			return "", errs.Invalid("userAddressNotFound", "userAddress %q is not an address of user %s.", address.Value, user.ID)
		}
		addressID = a.ID
	}
	if req.Address != catalog.RequirementNone && addressID == "" {
		return "", errs.Invalid("userAddressRequired", "The plan %s requires an address: pass userAddress, an address of the user.", plan.ID)
	}
	if req.UserFullName != catalog.RequirementNone && user.FullName == nil {
		return "", errs.Invalid("userFullNameRequired", "The plan %s requires the user's full name: set fullName on user %s first.", plan.ID, user.ID)
	}
	if req.UserBirthday != catalog.RequirementNone && user.Birthday == nil {
		return "", errs.Invalid("userBirthdayRequired", "The plan %s requires the user's birthday: set birthday on user %s first.", plan.ID, user.ID)
	}
	return addressID, nil
}

// chooseSIM resolves the sim field: a new eSIM ("auto"), the user's last
// SIM ("preferLastUsed"), a test placeholder, or a SIM id.
func (s *Service) chooseSIM(ctx context.Context, tx *store.Tx, project string, plan *catalog.Plan, userID, sim string, now time.Time) (*sims.Record, error) {
	switch sim {
	case SIMAuto:
		if !plan.HasSIMType(sims.TypeESIM) {
			return nil, errs.Invalid("simRequired", "The plan %s needs a physical SIM: pass the id of a pSIM instead of \"auto\".", plan.ID)
		}
		return sims.ProvisionESIM(ctx, tx, s.Carriers, project, plan.Provider, now)
	case SIMPreferLastUsed:
		return s.lastUsedSIM(ctx, tx, project, plan, userID, now)
	case sims.PlaceholderPSIM, sims.PlaceholderESIM:
		p, err := projects.Get(ctx, tx, project)
		if err != nil {
			return nil, err
		}
		if !p.IsTest() {
			return nil, errs.Invalid("simPlaceholderNotAllowed", "%s is a test placeholder; live projects need a real SIM id.", sim)
		}
		typ := sims.TypePSIM
		if sim == sims.PlaceholderESIM {
			typ = sims.TypeESIM
		}
		if !plan.HasSIMType(typ) {
			return nil, errs.Invalid("simTypeNotSupported", "The plan %s does not support %s SIMs.", plan.ID, typ)
		}
		return sims.CreatePlaceholderSIM(ctx, tx, s.Carriers, project, plan.Provider, sim, now)
	}
	r, err := sims.GetRecord(ctx, tx, project, sim)
	if err != nil {
		return nil, referenced(err, "sim")
	}
	if err := usable(ctx, tx, r, plan, userID); err != nil {
		return nil, err
	}
	return r, nil
}
