package lines

import (
	"context"
	"time"

	"cellgate/internal/store"
)

// PortedOut follows a carrier's word that provider's number has left with
// port-out credentials: the port-out is done, its subscription ends with
// cause phoneNumberPortedOut, and billing settles it. A number without an
// issued port-out changes nothing.
func (s *Service) PortedOut(ctx context.Context, tx *store.Tx, project, provider, phone string, now time.Time) error {
	sub, err := s.PortOuts.PortedAway(ctx, tx, project, provider, phone, now)
	if err != nil || sub == "" {
		return err
	}
	b, err := s.Subscriptions.PortedOut(ctx, tx, project, sub, now)
	return s.ended(ctx, tx, b, now, err)
}
