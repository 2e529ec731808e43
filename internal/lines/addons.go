package lines

import (
	"context"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// BuyAddon buys an add-on for a subscription (docs/changes.md). On a
// billed subscription it is invoiced (reason other) and stays initiated
// until that invoice is paid.
func (s *Service) BuyAddon(ctx context.Context, tx *store.Tx, project string, in subscriptions.AddonInput, now time.Time) (*subscriptions.SubscriptionAddon, error) {
	req, err := s.Subscriptions.RequestAddon(ctx, tx, project, in, now)
	if err != nil {
		return nil, err
	}
	invoice, paid := "", false
	if req.Billed != nil {
		if invoice, paid, err = s.Billing.InvoiceAddon(ctx, tx, req.Billed, req.Addon, now); err != nil {
			return nil, err
		}
	}
	return s.Subscriptions.StartAddon(ctx, tx, req, invoice, paid, now)
}

// CancelAddon ends a subscription add-on now; the invoice of one that
// never activated is voided when unpaid and credited to the user's
// balance when paid.
func (s *Service) CancelAddon(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*subscriptions.SubscriptionAddon, error) {
	v, invoice, err := s.Subscriptions.CancelAddon(ctx, tx, project, id, now)
	if err != nil {
		return nil, err
	}
	return v, s.Billing.SettleOther(ctx, tx, project, invoice, now)
}
