package subscriptions

import (
	"context"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/sims"
	"cellgate/internal/store"
)

// OpAddonAllowance tells the carrier that an add-on's allowances start or
// end on the line (docs/changes.md).
const OpAddonAllowance = "carrier.addonAllowance"

// addonCall is the payload of an OpAddonAllowance operation: the line as
// the carrier knows it when the add-on started or ended.
type addonCall struct {
	SubscriptionAddon string             `json:"subscriptionAddon"`
	Subscription      string             `json:"subscription"`
	ICCID             string             `json:"iccid"`
	PhoneNumber       string             `json:"phoneNumber"`
	Active            bool               `json:"active"`
	Allowances        catalog.Allowances `json:"allowances"`
	Until             time.Time          `json:"until"`
}

// tellAddon records the call that gives the line an add-on's allowances
// (active) or takes them back. Its subject is the line's SIM, so it
// reaches the carrier in turn with the line's other calls; a line that
// has ended is not told (its deactivation took everything).
func tellAddon(ctx context.Context, tx *store.Tx, r *record, rec *addonRecord, a *catalog.Addon, active bool, now time.Time) error {
	if r.Status == StatusEnded || r.SIMID == "" || rec.Period == nil {
		return nil
	}
	sim, err := sims.GetRecord(ctx, tx, r.Project, r.SIMID)
	if err != nil {
		return err
	}
	until := rec.Period.End
	if rec.EndedAt != nil {
		until = *rec.EndedAt
	}
	call := addonCall{SubscriptionAddon: rec.ID, Subscription: r.ID, ICCID: sim.ICCID, PhoneNumber: r.PhoneNumber, Active: active,
		Allowances: a.Allowances, Until: until}
	_, err = outbound.Enqueue(ctx, tx, outbound.Request{Project: r.Project, Kind: OpAddonAllowance, Subject: sim.ID, Target: sim.Provider,
		Payload: call, DueAt: now})
	return err
}

// addonOperations are the outbound kinds of add-ons. The carrier's
// answer changes nothing in cellgate: the add-on's balance is counted
// from the usage feed either way.
func (s *Service) addonOperations() outbound.Kinds {
	return outbound.Kinds{OpAddonAllowance: {Perform: s.performAddonAllowance, Apply: noConsequence}}
}

func (s *Service) performAddonAllowance(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	var c addonCall
	if err := op.Decode(&c); err != nil {
		return nil, outbound.PermanentError(err)
	}
	carrier, err := s.Carriers.Provider(op.Target)
	if err != nil {
		return nil, outbound.PermanentError(err)
	}
	a := network.Allowances{DataBytes: c.Allowances.DataBytes, VoiceSeconds: c.Allowances.VoiceSeconds, SMSMessages: c.Allowances.SMSMessages}
	return nil, carrier.SetAddonAllowance(ctx, network.AddonAllowanceRequest{Meta: network.Meta{Key: op.IdempotencyKey(), Project: op.Project, Now: now},
		ICCID: c.ICCID, PhoneNumber: c.PhoneNumber, SubscriptionAddon: c.SubscriptionAddon, Active: c.Active, Allowances: a, Until: c.Until})
}

// tellAddonEnded tells the carrier that an active add-on ended.
func tellAddonEnded(ctx context.Context, tx *store.Tx, r *record, rec *addonRecord, now time.Time) error {
	a, err := catalog.GetAddon(ctx, tx, rec.Project, rec.AddonID)
	if err != nil {
		return err
	}
	return tellAddon(ctx, tx, r, rec, a, false, now)
}
