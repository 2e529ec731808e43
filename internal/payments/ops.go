package payments

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cellgate/internal/outbound"
	"cellgate/internal/store"
)

// Providers builds the provider of each project from its settings.
type Providers struct {
	DB        *store.DB
	Simulator *Simulator
	// Stripe builds the Stripe adapter for a project's keys.
	Stripe func(s *Settings) Provider
}

// NewProviders returns the providers on db: the simulator, and Stripe
// through stripe.
func NewProviders(db *store.DB, stripe func(s *Settings) Provider) *Providers {
	return &Providers{DB: db, Simulator: &Simulator{DB: db}, Stripe: stripe}
}

// For is the provider an operation targets, with the project's settings.
func (ps *Providers) For(ctx context.Context, project, target string) (Provider, *Settings, error) {
	set, err := readSettings(ctx, ps.DB, project)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case target == SimulatorID:
		return ps.Simulator, set, nil
	case target == StripeID && ps.Stripe != nil && set.Provider != nil && *set.Provider == StripeID:
		return ps.Stripe(set), set, nil
	}
	// The project changed providers since the call was decided: the call
	// cannot be made with the new one's keys.
	return nil, nil, outbound.PermanentError(fmt.Errorf("payments: project %s has no %s provider now", project, target))
}

// skipped is a charge's result when its payment no longer needs it.
const skipped = "skipped"

// PerformCharge makes a charge operation's call. A payment that another
// charge or another way of paying settled meanwhile is not charged again
// (charges of one payment run in turn, so the read is current).
func (ps *Providers) PerformCharge(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	var in ChargePayload
	if err := op.Decode(&in); err != nil {
		return nil, outbound.PermanentError(err)
	}
	p, err := Get(ctx, ps.DB, op.Project, in.Payment)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusPending && p.Status != StatusFailed {
		return ChargeResult{Status: skipped}, nil
	}
	if in.Method == "" {
		return ChargeResult{Status: ChargeDeclined, Code: "paymentMethodRequired", Message: declineMessages["paymentMethodRequired"]}, nil
	}
	prov, _, err := ps.For(ctx, op.Project, op.Target)
	if err != nil {
		return nil, err
	}
	return prov.Charge(ctx, ChargeRequest{Key: op.IdempotencyKey(), Project: op.Project, Customer: in.Customer, Method: in.MethodRef,
		Amount: in.Amount, Currency: in.Currency, Description: "Invoice " + in.Invoice, Now: now})
}

// ChargeOutcome reads a charge's stored result.
func ChargeOutcome(raw json.RawMessage) (ChargeResult, error) {
	var res ChargeResult
	err := json.Unmarshal(raw, &res)
	return res, err
}

// Skipped reports a charge that was not made.
func (r ChargeResult) Skipped() bool { return r.Status == skipped }

// disputePayload is the payload of a dispute check.
type disputePayload struct {
	Payment   string `json:"payment"`
	ChargeRef string `json:"chargeRef"`
}

// enqueueDisputeCheck asks the provider about p's dispute at at. Its
// subject is the payment's dispute, not the payment, so that a refund is
// not held behind a check due days later.
func enqueueDisputeCheck(ctx context.Context, tx *store.Tx, project, provider string, p *Payment, at time.Time) error {
	ref := ""
	if p.InvoiceNumber != nil {
		ref = *p.InvoiceNumber
	}
	_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: project, Kind: KindDispute, Subject: p.ID + "/dispute", Target: provider,
		Payload: disputePayload{Payment: p.ID, ChargeRef: ref}, DueAt: at})
	return err
}

// PerformDispute reads the dispute state of a charge.
func (ps *Providers) PerformDispute(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	var in disputePayload
	if err := op.Decode(&in); err != nil {
		return nil, outbound.PermanentError(err)
	}
	prov, _, err := ps.For(ctx, op.Project, op.Target)
	if err != nil {
		return nil, err
	}
	return prov.Dispute(ctx, in.ChargeRef, now)
}

// ApplyDispute records what the provider says of a payment's dispute:
// payment.disputed when it opens, payment.disputeLost or
// payment.disputeWon when it closes. It reports whether the dispute was
// lost just now: the subscription then ends (package lines).
func ApplyDispute(ctx context.Context, tx *store.Tx, op outbound.Operation, raw json.RawMessage, now time.Time) (p *Payment, lost bool, err error) {
	var in disputePayload
	if err := op.Decode(&in); err != nil {
		return nil, false, err
	}
	var st DisputeState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, false, err
	}
	if p, err = Lock(ctx, tx, op.Project, in.Payment); err != nil {
		return nil, false, err
	}
	if st.Status == DisputeNone || st.Status == p.dispute || p.DisputeOutcome != "" {
		return p, false, nil
	}
	if p.dispute == "" {
		// Opened: payment.disputed before any outcome, even one read late.
		p.dispute = DisputeOpen
		if err := save(ctx, tx, p, now); err != nil {
			return nil, false, err
		}
		if err := recordEvent(ctx, tx, op.Project, "payment.disputed", p, now); err != nil {
			return nil, false, err
		}
	}
	if st.Status == DisputeOpen {
		if st.NextCheckAt != nil {
			return p, false, enqueueDisputeCheck(ctx, tx, op.Project, op.Target, p, *st.NextCheckAt)
		}
		return p, false, nil
	}
	p.dispute, p.DisputeOutcome, p.DisputeClosedAt = st.Status, st.Status, st.ClosedAt
	if p.DisputeClosedAt == nil {
		p.DisputeClosedAt = &now
	}
	if err := save(ctx, tx, p, now); err != nil {
		return nil, false, err
	}
	typ := "payment.disputeWon"
	if st.Status == DisputeLost {
		typ = "payment.disputeLost"
	}
	return p, st.Status == DisputeLost, recordEvent(ctx, tx, op.Project, typ, p, now)
}
