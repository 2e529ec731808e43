package subscriptions

import (
	"context"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/optional"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// A subscription change moves a subscription to another plan or its
// number to another SIM (reference §2.10, docs/changes.md). It is decided
// here, told to the carrier through an outbound operation, and applied
// only once the carrier has answered.

// Prefix of subscription change ids.
const ChangePrefix = "sch"

// Statuses of a change.
const (
	ChangePending   = "pending"
	ChangeInitiated = "initiated"
	ChangeApplied   = "applied"
	ChangeFailed    = "failed"
	ChangeDeleted   = "deleted"
)

// When a change applies.
const (
	WhenNow     = "now"
	WhenRenewal = "renewal"
)

// Failure codes of a change besides the carrier's.
const (
	FailureInvoiceVoided      = "invoiceVoided"
	FailureSubscriptionEnded  = "subscriptionEnded"
	FailureProviderRejected   = "providerRejected"
	FailureProviderNoResponse = "providerUnavailable"
)

func init() {
	events.Register("subscriptionChange.created", "subscriptionChange.updated", "subscriptionChange.applied",
		"subscriptionChange.failed", "subscriptionChange.deleted")
}

// Change is the API representation (reference §2.10).
type Change struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	AppliedAt       *time.Time      `json:"appliedAt"`
	CreatedAt       time.Time       `json:"createdAt"`
	FailureCode     *string         `json:"failureCode"`
	Plan            *catalog.Plan   `json:"plan"`
	RequestedChange RequestedChange `json:"requestedChange"`
	ScheduledAt     *time.Time      `json:"scheduledAt"`
	SIM             *sims.SIM       `json:"sim"`
	Status          string          `json:"status"`
	Subscription    string          `json:"subscription"`
}

// RequestedChange is what the request asked for.
type RequestedChange struct {
	Plan *string `json:"plan"`
	SIM  *string `json:"sim"`
	When string  `json:"when"`
}

// ChangeInput is the body of POST /subscriptionChanges.
type ChangeInput struct {
	Subscription string                 `json:"subscription"`
	Plan         optional.Value[string] `json:"plan"`
	SIM          optional.Value[string] `json:"sim"`
	When         string                 `json:"when"`
}

// changeRecord is the stored change.
type changeRecord struct {
	ID, Project, Subscription string
	PlanID, FromPlanID        string // PlanID "" for a SIM swap
	SIMID, RequestedSIM       string // "" for a plan change
	When, Status              string
	ScheduledAt, AppliedAt    *time.Time
	FailureCode               string
	InvoiceID                 string
	CarrierAt                 *time.Time
	CreatedAt                 time.Time
}

// Requested is a change just recorded, for the flow that bills it.
type Requested struct {
	Change *Change
	// From and To are the plans of a plan change; nil To for a SIM swap.
	From, To *catalog.Plan
	// Billed is the subscription as billing sees it; nil when not billed.
	Billed *Billed
	rec    *changeRecord
	sub    *record
}

// PlanChange reports whether the change moves the subscription to
// another plan.
func (r *Requested) PlanChange() bool { return r.To != nil }

// Now reports whether the change applies at once.
func (r *Requested) Now() bool { return r.rec.When == WhenNow }

// RequestChange checks a change against every rule of docs/changes.md
// and records it, not yet started: the caller bills it, then calls
// StartChange.
func (s *Service) RequestChange(ctx context.Context, tx *store.Tx, project string, in ChangeInput, now time.Time) (*Requested, error) {
	if err := validate.Required("subscription", in.Subscription); err != nil {
		return nil, err
	}
	if err := validate.Required("when", in.When); err != nil {
		return nil, err
	}
	if err := validate.OneOf("when", in.When, WhenNow, WhenRenewal); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		v    optional.Value[string]
	}{{"plan", in.Plan}, {"sim", in.SIM}} {
		if f.v.Set {
			if err := validate.NotNull(f.name, f.v.Null); err != nil {
				return nil, err
			}
			if err := validate.Required(f.name, f.v.Value); err != nil {
				return nil, err
			}
		}
	}
	if !in.Plan.Set && !in.SIM.Set {
		return nil, errs.Invalid("fieldRequired", "A change needs plan or sim.")
	}
	r, err := load(ctx, tx, project, in.Subscription)
	if err != nil {
		return nil, referenced(err, "subscription")
	}
	if err := changeable(ctx, tx, r); err != nil {
		return nil, err
	}
	c := &changeRecord{ID: ids.New(ChangePrefix), Project: project, Subscription: r.ID, FromPlanID: r.PlanID, When: in.When,
		Status: ChangePending, CreatedAt: now}
	req := &Requested{From: r.plan, Billed: r.billedOrNil(), rec: c, sub: r}
	switch {
	case in.Plan.Set && in.SIM.Set:
		to, err := s.targetPlan(ctx, tx, r, in.Plan.Value)
		if err != nil {
			return nil, err
		}
		if to.Provider != r.plan.Provider {
			return nil, errs.Invalid("subscriptionChangeProviderTransitionNotSupported",
				"Moving the subscription from provider %s to %s is not supported.", r.plan.Provider, to.Provider)
		}
		return nil, errs.Invalid("subscriptionChangeInvalid", "A change moves to another plan or to another SIM, not both.").
			WithHint("Request the SIM swap first, then the plan change.")
	case in.Plan.Set:
		to, err := s.targetPlan(ctx, tx, r, in.Plan.Value)
		if err != nil {
			return nil, err
		}
		current, err := sims.GetRecord(ctx, tx, project, r.SIMID)
		if err != nil {
			return nil, err
		}
		if err := planChangeAllowed(s, r, current.Type, to, in.When, now); err != nil {
			return nil, err
		}
		c.PlanID, req.To = to.ID, to
		if in.When == WhenRenewal {
			at := r.Period.End
			c.ScheduledAt = &at
		}
	default:
		sim, err := s.targetSIM(ctx, tx, r, in.SIM.Value, in.When, now)
		if err != nil {
			return nil, err
		}
		c.SIMID, c.RequestedSIM = sim.ID, in.SIM.Value
	}
	if in.When == WhenNow {
		c.ScheduledAt = &now
	}
	if err := insertChange(ctx, tx, c); err != nil {
		return nil, err
	}
	v, err := changeView(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	req.Change = v
	return req, nil
}

// changeable checks that the subscription can take a change now.
func changeable(ctx context.Context, tx *store.Tx, r *record) error {
	switch {
	case r.Status == StatusEnded:
		return errs.Conflict("subscriptionAlreadyEnded", "The subscription %s has ended.", r.ID)
	case r.Status != StatusActive:
		return errs.Conflict("subscriptionNotActive", "The subscription %s is %s; only active subscriptions can change.", r.ID, r.Status)
	case r.canceled():
		return errs.Conflict("subscriptionAlreadyCanceled", "The subscription %s is canceled; it ends at %s.", r.ID, r.EndedAt.Format(time.RFC3339)).
			WithHint("Resume it first to change it.")
	}
	open, err := openChange(ctx, tx, r.ID)
	if err != nil {
		return err
	}
	if open != "" {
		return errs.Conflict("subscriptionChangeAlreadyPending", "The subscription %s already has the change %s in progress.", r.ID, open).
			WithHint("Wait until it is applied, or delete it while it is pending.")
	}
	return nil
}

// targetPlan reads the plan a change moves to and checks it can be sold.
func (s *Service) targetPlan(ctx context.Context, tx *store.Tx, r *record, id string) (*catalog.Plan, error) {
	to, err := catalog.GetPlan(ctx, tx, r.Project, id)
	if err != nil {
		return nil, referenced(err, "plan")
	}
	switch {
	case to.ID == r.PlanID:
		return nil, errs.Invalid("subscriptionChangeSamePlan", "The subscription %s is already on the plan %s.", r.ID, to.ID)
	case to.Status != catalog.StatusAvailable:
		return nil, errs.Invalid("planNotAvailable", "The plan %s is %s; only available plans can be changed to.", to.ID, to.Status)
	case r.Billed && to.Price.Currency != r.plan.Price.Currency:
		return nil, errs.Invalid("planCurrencyMismatch", "The plan %s is priced in %s but the subscription is billed in %s.", to.ID, to.Price.Currency, r.plan.Price.Currency)
	}
	return to, nil
}

// planChangeAllowed holds the rules of reference §2.10 for a plan change.
func planChangeAllowed(s *Service, r *record, simType string, to *catalog.Plan, when string, now time.Time) error {
	from := r.plan
	switch {
	case to.Provider != from.Provider:
		return errs.Invalid("subscriptionChangeProviderMismatch", "The plan %s runs on provider %s, the subscription on %s.", to.ID, to.Provider, from.Provider)
	case to.Validity.Type != from.Validity.Type:
		return errs.Invalid("subscriptionChangeValidityTypeMismatch", "The plan %s is %s and the subscription's plan %s: a change keeps the validity type.",
			to.ID, to.Validity.Type, from.Validity.Type)
	case !to.HasSIMType(simType):
		return errs.Invalid("simTypeNotSupported", "The plan %s does not support the subscription's %s.", to.ID, simType)
	case TooCloseToRenewal(r.Period, now):
		return errs.Invalid("subscriptionPlanChangeTooCloseToRenewal", "The period ends at %s: plan changes close within the hour before a renewal.",
			r.Period.End.Format(time.RFC3339)).WithHint("Request the change after the renewal.")
	}
	if when == WhenRenewal {
		return nil
	}
	switch {
	case to.Validity.Unit != from.Validity.Unit || to.Validity.Value != from.Validity.Value:
		return errs.Invalid("subscriptionChangeRenewalRequired", "The plan %s has a different validity (%d %s): the change can only apply at renewal.",
			to.ID, to.Validity.Value, to.Validity.Unit).WithHint(`Send "when": "renewal".`)
	case !s.planChangeNow(from.Provider):
		return errs.Invalid("subscriptionChangeRenewalRequired", "The provider %s changes plans only at renewal.", from.Provider).
			WithHint(`Send "when": "renewal".`)
	case decreases(from.Allowances, to.Allowances):
		return errs.Invalid("subscriptionChangeAllowanceDecrease", "The plan %s has smaller allowances than %s: such a change can only apply at renewal.",
			to.ID, from.ID).WithHint(`Send "when": "renewal".`)
	}
	return nil
}

// TooCloseToRenewal reports whether a plan change comes inside the
// cutoff before the period's end: the next period is committed then.
func TooCloseToRenewal(p *Period, now time.Time) bool {
	return !now.Before(p.End.Add(-Cutoff))
}

func (s *Service) planChangeNow(provider string) bool {
	info, ok := s.Carriers.Info(provider)
	return ok && info.PlanChangeNow
}

// decreases reports whether any allowance of to is smaller than in from
// (nil is unlimited).
func decreases(from, to catalog.Allowances) bool {
	for _, p := range [][2]*int64{{from.DataBytes, to.DataBytes}, {from.VoiceSeconds, to.VoiceSeconds}, {from.SMSMessages, to.SMSMessages}} {
		if p[1] != nil && (p[0] == nil || *p[1] < *p[0]) {
			return true
		}
	}
	return false
}

// targetSIM resolves the sim of a SIM swap: a new eSIM ("auto") or an
// inactive SIM of the user on the plan's provider.
func (s *Service) targetSIM(ctx context.Context, tx *store.Tx, r *record, sim, when string, now time.Time) (*sims.Record, error) {
	if when != WhenNow {
		return nil, errs.Invalid("subscriptionChangeSimRequiresNow", "A SIM change applies at once: send \"when\": \"now\".")
	}
	if sim == SIMAuto {
		if !r.plan.HasSIMType(sims.TypeESIM) {
			return nil, errs.Invalid("simRequired", "The plan %s needs a physical SIM: pass the id of a pSIM instead of \"auto\".", r.plan.ID)
		}
		return sims.ProvisionESIM(ctx, tx, s.Carriers, r.Project, r.plan.Provider, now)
	}
	if sim == r.SIMID {
		return nil, errs.Invalid("subscriptionChangeSameSim", "The subscription %s already runs on the SIM %s.", r.ID, sim)
	}
	target, err := sims.GetRecord(ctx, tx, r.Project, sim)
	if err != nil {
		return nil, referenced(err, "sim")
	}
	if target.Provider != r.plan.Provider {
		return nil, errs.Invalid("subscriptionChangeProviderMismatch", "The SIM %s belongs to provider %s, the subscription runs on %s.",
			target.ID, target.Provider, r.plan.Provider)
	}
	if err := usable(ctx, tx, target, r.plan, r.UserID); err != nil {
		return nil, err
	}
	return target, sims.Claim(ctx, tx, target, r.UserID)
}
