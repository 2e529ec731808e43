package lines

import (
	"context"
	"time"

	"cellgate/internal/outbound"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// RequestChange records a plan change or SIM swap (docs/changes.md). On a
// billed subscription a plan change must come before the next period is
// invoiced, and one applied now is priced by the project's proration
// behavior: with an invoice to pay, the change waits initiated for it.
func (s *Service) RequestChange(ctx context.Context, tx *store.Tx, project string, in subscriptions.ChangeInput, now time.Time) (*subscriptions.Change, error) {
	req, err := s.Subscriptions.RequestChange(ctx, tx, project, in, now)
	if err != nil {
		return nil, err
	}
	invoice, paid := "", false
	if req.Billed != nil && req.PlanChange() {
		if err := s.Billing.CheckChangeWindow(ctx, tx, req.Billed); err != nil {
			return nil, err
		}
		if req.Now() {
			if invoice, paid, err = s.Billing.InvoiceChange(ctx, tx, req.Billed, req.To, now); err != nil {
				return nil, err
			}
		}
	}
	return s.Subscriptions.StartChange(ctx, tx, req, invoice, paid, now)
}

// DeleteChange deletes a change before it reaches the carrier; the
// invoice it waited for is voided.
func (s *Service) DeleteChange(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*subscriptions.Change, error) {
	v, b, invoice, err := s.Subscriptions.DeleteChange(ctx, tx, project, id, now)
	if err != nil {
		return nil, err
	}
	if b != nil && v.Plan != nil && v.RequestedChange.When == subscriptions.WhenRenewal {
		// Deleting a renewal change changes the next period's plan back,
		// which its invoice must not have priced yet.
		if err := s.Billing.CheckChangeWindow(ctx, tx, b); err != nil {
			return nil, err
		}
	}
	return v, s.Billing.SettleOther(ctx, tx, project, invoice, now)
}

// Operations are the outbound kinds whose outcome involves invoices: a
// change the carrier refused gives its invoice back.
func (s *Service) Operations() outbound.Kinds {
	kinds := s.Subscriptions.ChangeOperations()
	for name, k := range kinds {
		k.Fail = s.changeRefused
		kinds[name] = k
	}
	return kinds
}

func (s *Service) changeRefused(ctx context.Context, tx *store.Tx, op outbound.Operation, now time.Time) error {
	invoice, renewing, err := s.Subscriptions.Refused(ctx, tx, op, now)
	if err != nil {
		return err
	}
	if renewing != nil {
		if err := s.Billing.RepriceNext(ctx, tx, renewing, now); err != nil {
			return err
		}
	}
	return s.Billing.SettleOther(ctx, tx, op.Project, invoice, now)
}
