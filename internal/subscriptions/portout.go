package subscriptions

import (
	"context"
	"time"

	"cellgate/internal/store"
)

// CausePhoneNumberPortedOut ends a subscription whose number another
// carrier took with port-out credentials (reference §2.9).
const CausePhoneNumberPortedOut = "phoneNumberPortedOut"

// PortedOut ends the subscription whose number has left: the line is
// gone with it. One that has ended already stays as it is. The returned
// Billed (nil when not billed or nothing ended) lets billing settle it.
func (s *Service) PortedOut(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Billed, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil || r.Status == StatusEnded {
		return nil, err
	}
	_, b, err := s.end(ctx, tx, r, &Cancellation{Cause: CausePhoneNumberPortedOut}, now)
	return b, err
}
