package lines

import (
	"context"
	"time"

	"cellgate/internal/billing"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/usage"
)

// Pay pays an invoice, then the subscription follows: a first invoice
// activates it; the last overdue one restores it, restarting its period
// unless it is canceled (docs/billing.md §3, §8).
func (s *Service) Pay(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*billing.Invoice, error) {
	done, err := s.Billing.Pay(ctx, tx, project, id, now)
	if err != nil {
		return nil, err
	}
	return done.Invoice, s.follow(ctx, tx, project, done, now)
}

// Void voids an invoice; voiding the last overdue invoice of a restricted
// subscription forgives it and restores the line as it was.
func (s *Service) Void(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*billing.Invoice, error) {
	done, err := s.Billing.Void(ctx, tx, project, id, now)
	if err != nil {
		return nil, err
	}
	return done.Invoice, s.follow(ctx, tx, project, done, now)
}

// follow makes the subscription do what the settled invoice asks. The
// period restart is the subscription's (the period's one owner); billing
// then invoices the new period before the line is restored.
func (s *Service) follow(ctx context.Context, tx *store.Tx, project string, done *billing.Settlement, now time.Time) error {
	if done.Invoice.Reason == billing.ReasonOther {
		return s.otherSettled(ctx, tx, project, done.Invoice, now)
	}
	if done.Activate {
		_, err := s.Subscriptions.ActivatePaid(ctx, tx, project, done.Invoice.Subscription, now)
		return err
	}
	if done.Restore == nil {
		return nil
	}
	if done.Restart {
		restarted, err := s.Subscriptions.RestartPeriod(ctx, tx, project, done.Restore.ID, now)
		if err != nil {
			return err
		}
		if err := s.Billing.RestartedPeriod(ctx, tx, restarted, done.Invoice, now); err != nil {
			return err
		}
		// A restarted period is a new period: fair use starts over.
		if err := usage.Renewed(ctx, tx, project, done.Restore.ID, now); err != nil {
			return err
		}
	}
	return s.Subscriptions.Restore(ctx, tx, project, done.Restore.ID, now)
}

// handleOverdue makes an invoice overdue and gives its subscription the
// delinquency action: ended for the unpaid invoice, or restricted.
func (s *Service) handleOverdue(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	b, action, err := s.Billing.Overdue(ctx, tx, t.Project, t.Subject, now)
	if err != nil {
		return err
	}
	switch action {
	case projects.OverdueActionEnd:
		ended, err := s.Subscriptions.EndUnpaid(ctx, tx, t.Project, b.ID, now)
		return s.ended(ctx, tx, ended, now, err)
	case projects.OverdueActionRestrict:
		return s.Subscriptions.Restrict(ctx, tx, t.Project, b.ID, now)
	}
	return nil
}

// otherSettled starts what a paid invoice with reason other paid for (a
// plan change or an add-on), or drops it when the invoice was voided.
func (s *Service) otherSettled(ctx context.Context, tx *store.Tx, project string, inv *billing.Invoice, now time.Time) error {
	if inv.Status == billing.StatusVoided {
		if err := s.Subscriptions.ChangeVoided(ctx, tx, project, inv.ID, now); err != nil {
			return err
		}
		return s.Subscriptions.AddonVoided(ctx, tx, project, inv.ID, now)
	}
	if err := s.Subscriptions.ChangePaid(ctx, tx, project, inv.ID, now); err != nil {
		return err
	}
	return s.Subscriptions.AddonPaid(ctx, tx, project, inv.ID, now)
}
