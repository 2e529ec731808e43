package usage

import (
	"context"
	"fmt"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// throttle is the payload of a throttle call: the line as the carrier
// knows it and the speed (0 lifts the cap).
type throttle struct {
	Subscription  string `json:"subscription"`
	ICCID         string `json:"iccid"`
	PhoneNumber   string `json:"phoneNumber"`
	BitsPerSecond int64  `json:"bitsPerSecond"`
}

// tellThrottle records the call that caps (bps > 0) or uncaps the line.
// Its subject is the SIM, so it reaches the carrier in turn with the
// line's activation and deactivation.
func tellThrottle(ctx context.Context, tx *store.Tx, l *subscriptions.Line, bps int64, now time.Time) error {
	_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: l.Project, Kind: OpThrottle, Subject: l.SIMID, Target: l.Provider,
		Payload: throttle{Subscription: l.ID, ICCID: l.ICCID, PhoneNumber: l.PhoneNumber, BitsPerSecond: bps}, DueAt: now})
	return err
}

func (s *Service) performThrottle(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	var p throttle
	if err := op.Decode(&p); err != nil {
		return nil, outbound.PermanentError(err)
	}
	carrier, err := s.Carriers.Provider(op.Target)
	if err != nil {
		return nil, outbound.PermanentError(err)
	}
	return nil, carrier.Throttle(ctx, network.ThrottleRequest{Meta: network.Meta{Key: op.IdempotencyKey(), Project: op.Project, Now: now},
		ICCID: p.ICCID, PhoneNumber: p.PhoneNumber, BitsPerSecond: p.BitsPerSecond})
}

// Renewed lifts the fair-use throttle of a subscription that moved into a
// new period: lines calls it with the renewal, in the renewal's
// transaction, after the subscription's row is locked.
func Renewed(ctx context.Context, tx *store.Tx, project, id string, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE usage_periods SET lifted_at = ? WHERE subscription_id = ? AND throttled_at IS NOT NULL AND lifted_at IS NULL`,
		store.Micros(now), id)
	if err != nil {
		return fmt.Errorf("usage: lift the throttle of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	l, err := subscriptions.LineOf(ctx, tx, project, id)
	if err != nil {
		return err
	}
	return tellThrottle(ctx, tx, l, 0, now)
}
