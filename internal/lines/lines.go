// Package lines runs the flows that involve both a subscription and its
// invoices: a line is a subscription as the customer pays for it. It sits
// above both domains (docs/architecture.md): subscriptions knows nothing
// of billing, billing reads subscriptions but never changes one, and each
// flow here takes the subscription step, then tells billing what it did
// (or the other way round), all in the caller's transaction.
package lines

import (
	"context"
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/errs"
	"cellgate/internal/porting"
	"cellgate/internal/portout"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/timeline"
	"cellgate/internal/usage"
	"cellgate/internal/vouchers"
)

// Service runs the flows; both halves are the concrete services.
type Service struct {
	Subscriptions *subscriptions.Service
	Billing       *billing.Invoices
	// PortOuts are the port-outs; the number leaving ends a subscription
	// (portouts.go).
	PortOuts *portout.Service
}

// Create starts a subscription. In a billed project it is initiated with
// its first invoice, and activated at once when that invoice is paid at
// once (docs/billing.md §2).
func (s *Service) Create(ctx context.Context, tx *store.Tx, project string, in subscriptions.CreateInput, now time.Time) (*subscriptions.Subscription, error) {
	v, b, err := s.Subscriptions.Create(ctx, tx, project, in, now)
	if err != nil {
		return v, err
	}
	if in.VoucherCode != nil {
		if b == nil {
			return nil, errs.Invalid("voucherCodeInvalid", "voucherCode applies to invoices: project %s does not bill.", project)
		}
		// Redeemed before the first invoice, which it discounts.
		if _, err := vouchers.Redeem(ctx, tx, project, *in.VoucherCode, b.Plan.ID, b.Plan.Price.Currency, b.ID, now); err != nil {
			return nil, err
		}
	}
	if b == nil {
		return v, nil
	}
	paid, err := s.Billing.InvoiceCreation(ctx, tx, b, now)
	if err != nil || !paid {
		return v, err
	}
	return s.Subscriptions.ActivatePaid(ctx, tx, project, b.ID, now)
}

// Cancel schedules the end; billing settles the period no longer entered,
// or everything when the subscription ended at once.
func (s *Service) Cancel(ctx context.Context, tx *store.Tx, project, id string, in subscriptions.CancelInput, now time.Time) (*subscriptions.Subscription, error) {
	v, b, err := s.Subscriptions.Cancel(ctx, tx, project, id, in, now)
	if err != nil || b == nil {
		return v, err
	}
	if b.Status == subscriptions.StatusEnded {
		return v, s.Billing.Ended(ctx, tx, b, now)
	}
	return v, s.Billing.Canceled(ctx, tx, b, now)
}

// Resume takes back a cancellation, and billing what it settled.
func (s *Service) Resume(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*subscriptions.Subscription, error) {
	v, b, err := s.Subscriptions.Resume(ctx, tx, project, id, now)
	if err != nil || b == nil {
		return v, err
	}
	return v, s.Billing.Resumed(ctx, tx, b, now)
}

// End ends the subscription now.
func (s *Service) End(ctx context.Context, tx *store.Tx, project, id string, in subscriptions.CancelInput, now time.Time) (*subscriptions.Subscription, error) {
	v, b, err := s.Subscriptions.End(ctx, tx, project, id, in, now)
	return v, s.ended(ctx, tx, b, now, err)
}

// ended lets billing settle the invoices of periods an ended subscription
// never enters; b is nil when it is not billed.
func (s *Service) ended(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, at time.Time, err error) error {
	if err != nil || b == nil {
		return err
	}
	return s.Billing.Ended(ctx, tx, b, at)
}

// EndForUser ends every subscription of a user who is being deleted. All
// are locked first, then each is ended and settled in turn.
func (s *Service) EndForUser(ctx context.Context, tx *store.Tx, project, userID string, now time.Time) error {
	ids, err := subscriptions.LinesOfUser(ctx, tx, project, userID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		b, err := s.Subscriptions.EndForDeletedUser(ctx, tx, project, id, now)
		if err := s.ended(ctx, tx, b, now, err); err != nil {
			return err
		}
	}
	return nil
}

// Handlers are the timers of subscriptions and billing, with the ones
// that involve both run here.
func (s *Service) Handlers() timeline.Handlers {
	handlers := timeline.Handlers{
		subscriptions.KindActivate:  s.handleActivate,
		subscriptions.KindPeriodEnd: s.handlePeriodEnd,
		billing.KindOverdue:         s.handleOverdue,
		porting.KindExpire:          s.handlePortingExpire,
	}
	for _, hs := range []timeline.Handlers{s.Subscriptions.Handlers(), s.Billing.Handlers(), s.PortOuts.Handlers()} {
		for kind, h := range hs {
			handlers[kind] = h
		}
	}
	return handlers
}

// handleActivate starts the line the provider confirmed, a live project
// reads the provider's usage feed from then on, and billing plans the
// first period's advance invoice.
func (s *Service) handleActivate(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	b, provider, err := s.Subscriptions.Activate(ctx, tx, t.Project, t.Subject, now)
	if err != nil {
		return err
	}
	if provider != "" {
		if err := usage.WatchLive(ctx, tx, t.Project, provider, now); err != nil {
			return err
		}
	}
	if b == nil {
		return nil
	}
	return s.Billing.PeriodStarted(ctx, tx, b, now, false)
}

// handlePeriodEnd renews the subscription into its next period, unless
// it ends there: canceled for this moment, on a plan that does not
// recur, or refused by billing for an unpaid invoice.
func (s *Service) handlePeriodEnd(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	pe, err := s.Subscriptions.EndPeriod(ctx, tx, t.Project, t.Subject, now)
	if err != nil || pe == nil {
		return err
	}
	if pe.Ended {
		return s.ended(ctx, tx, pe.Billed, pe.At, nil)
	}
	var check billing.RenewalCheck
	if pe.Billed != nil {
		if check, err = s.Billing.BeforeRenewal(ctx, tx, pe.Billed, pe.At); err != nil {
			return err
		}
		if check.Refused {
			b, err := s.Subscriptions.Refuse(ctx, tx, pe)
			return s.ended(ctx, tx, b, pe.At, err)
		}
	}
	b, err := s.Subscriptions.Renew(ctx, tx, pe, now)
	if err != nil {
		return err
	}
	// A new period lifts the fair-use throttle of the last one.
	if err := usage.Renewed(ctx, tx, t.Project, t.Subject, now); err != nil || b == nil {
		return err
	}
	return s.Billing.PeriodStarted(ctx, tx, b, now, !check.Invoiced)
}

// handlePortingExpire expires a porting that did not complete in time;
// its subscription ends (portingExpired) and billing settles it.
func (s *Service) handlePortingExpire(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	b, err := s.Subscriptions.ExpirePorting(ctx, tx, t.Project, t.Subject, now)
	return s.ended(ctx, tx, b, now, err)
}
