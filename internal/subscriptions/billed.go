package subscriptions

import (
	"context"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/clock"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/validate"
)

func init() {
	events.Register("subscription.restricted", "subscription.restored")
}

// BillingInput is the billing object of POST /subscriptions: the two
// delinquency settings, each null or absent to follow the project.
type BillingInput struct {
	InvoiceOverdueDays   optional.Value[int]    `json:"invoiceOverdueDays"`
	InvoiceOverdueAction optional.Value[string] `json:"invoiceOverdueAction"`
}

// apply checks the overrides and records them on r.
func (in BillingInput) apply(r *record) error {
	if v := in.InvoiceOverdueDays.Ptr(); v != nil {
		if *v < 0 || *v > projects.MaxInvoiceOverdueDays {
			return errs.Invalid("billingInvalid", "billing.invoiceOverdueDays must be between 0 and %d.", projects.MaxInvoiceOverdueDays)
		}
		r.OverdueDays = v
	}
	if v := in.InvoiceOverdueAction.Ptr(); v != nil {
		err := validate.OneOf("billing.invoiceOverdueAction", *v, projects.OverdueActionNone, projects.OverdueActionEnd, projects.OverdueActionRestrict)
		if err != nil {
			return err
		}
		r.OverdueAction = v
	}
	return nil
}

// Billed is a billed subscription as the billing engine sees it.
type Billed struct {
	Project, ID, User, AddressID string
	Plan                         *catalog.Plan
	Status                       string
	ActivatedAt                  *time.Time
	// Period is the current period and Next the one after it; both nil
	// while the subscription has no running period. Next is nil too for
	// plans that do not renew.
	Period, Next *Period
	// NextPlan is the plan of Next when a renewal change moves the
	// subscription to it; nil when Next runs on Plan.
	NextPlan *catalog.Plan
	// EndsAt is the scheduled end of a canceled subscription, or the end
	// of an ended one.
	EndsAt *time.Time
	// OverdueDays and OverdueAction are the subscription's overrides; nil
	// follows the project.
	OverdueDays   *int
	OverdueAction *string
}

// Live reports whether the subscription has periods running.
func (b *Billed) Live() bool { return b.Period != nil }

// Canceled reports whether the subscription will end at EndsAt.
func (b *Billed) Canceled() bool { return b.Status != StatusEnded && b.EndsAt != nil }

func (r *record) billed() *Billed {
	b := &Billed{Project: r.Project, ID: r.ID, User: r.UserID, AddressID: r.AddressID, Plan: r.plan, Status: r.Status,
		ActivatedAt: r.ActivatedAt, EndsAt: r.EndedAt, OverdueDays: r.OverdueDays, OverdueAction: r.OverdueAction}
	if r.live() {
		p := *r.Period
		b.Period = &p
		if r.recurring() {
			b.Next = &Period{Number: p.Number + 1, Start: p.End, End: r.periodEnd(p.Number + 1)}
		}
	}
	return b
}

// billedOrNil is r as the billing engine sees it; nil when r is not billed.
func (r *record) billedOrNil() *Billed {
	if !r.Billed {
		return nil
	}
	return r.billed()
}

// PlanOf is the plan period p runs on: NextPlan for the next period of
// a pending renewal change, otherwise Plan.
func (b *Billed) PlanOf(p *Period) *catalog.Plan {
	if b.NextPlan != nil && b.Next != nil && p.Number == b.Next.Number {
		return b.NextPlan
	}
	return b.Plan
}

// LoadBilled reads and locks a subscription for the billing engine; nil
// when it is not billed. A pending renewal change shows in NextPlan, so
// an invoice issued in advance prices the plan the period will run on.
func LoadBilled(ctx context.Context, tx *store.Tx, project, id string) (*Billed, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil || !r.Billed {
		return nil, err
	}
	b := r.billed()
	if b.Next == nil {
		return b, nil
	}
	c, err := renewalChange(ctx, tx, r.ID)
	if err != nil || c == nil || !c.ScheduledAt.Equal(b.Period.End) {
		return b, err
	}
	if b.NextPlan, err = catalog.GetPlan(ctx, tx, project, c.PlanID); err != nil {
		return nil, err
	}
	v := b.NextPlan.Validity
	b.Next.End = clock.PeriodBoundary(b.Period.End, v.Unit, v.Value, 1)
	return b, nil
}

// EndUnpaid ends the subscription at at for an unpaid invoice, replacing
// any earlier reason (cause invoiceUnpaid). It returns the ended
// subscription when it is billed; nil when it had already ended.
func (s *Service) EndUnpaid(ctx context.Context, tx *store.Tx, project, id string, at time.Time) (*Billed, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil || r.Status == StatusEnded {
		return nil, err
	}
	_, b, err := s.end(ctx, tx, r, &Cancellation{Cause: CauseInvoiceUnpaid}, at)
	return b, err
}

// Restrict leaves an active line only incoming calls and SMS, no data,
// until its overdue invoice is paid (seed 003). The period runs on.
func (s *Service) Restrict(ctx context.Context, tx *store.Tx, project, id string, at time.Time) error {
	r, err := load(ctx, tx, project, id)
	if err != nil || r.Status != StatusActive {
		return err
	}
	if err := s.tellLine(ctx, tx, r, OpRestrict, at); err != nil {
		return err
	}
	r.Status = StatusRestricted
	_, err = s.commit(ctx, tx, r, at, func(v *Subscription) error {
		return events.Record(ctx, tx, project, "subscription.restricted", id, v, at)
	})
	return err
}

// RestartPeriod ends the current period at at and starts a new full one
// there, which moves the renewal anchor (docs/billing.md §8). Periods are
// written here only; the billing engine invoices the returned period. It
// records no event: the restore that follows does.
func (s *Service) RestartPeriod(ctx context.Context, tx *store.Tx, project, id string, at time.Time) (*Billed, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if !r.live() {
		return nil, errs.Conflict("subscriptionNotLive", "The subscription %s has no running period to restart.", id)
	}
	next := r.Period.Number + 1
	r.AnchorAt, r.AnchorPeriod = &at, next
	r.Period = &Period{Number: next, Start: at, End: r.periodEnd(next)}
	if err := timeline.Cancel(ctx, tx, KindPeriodEnd, r.ID); err != nil {
		return nil, err
	}
	if err := timeline.Schedule(ctx, tx, project, KindPeriodEnd, r.ID, r.Period.End); err != nil {
		return nil, err
	}
	if err := save(ctx, tx, r, at); err != nil {
		return nil, err
	}
	return r.billed(), nil
}

// Restore gives a restricted line its full service back.
func (s *Service) Restore(ctx context.Context, tx *store.Tx, project, id string, at time.Time) error {
	r, err := load(ctx, tx, project, id)
	if err != nil || r.Status != StatusRestricted {
		return err
	}
	if err := s.tellLine(ctx, tx, r, OpRestore, at); err != nil {
		return err
	}
	r.Status = StatusActive
	_, err = s.commit(ctx, tx, r, at, func(v *Subscription) error {
		return events.Record(ctx, tx, project, "subscription.restored", id, v, at)
	})
	return err
}

// tellLine records a call about r's line to its SIM's provider.
func (s *Service) tellLine(ctx context.Context, tx *store.Tx, r *record, kind string, at time.Time) error {
	sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
	if err != nil {
		return err
	}
	return tellCarrier(ctx, tx, r, sim, kind, at)
}
