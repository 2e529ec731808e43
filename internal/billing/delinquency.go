package billing

import (
	"context"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/timeline"
)

func init() {
	events.Register("invoice.willBeOverdue", "invoice.overdue")
}

// warn records invoice.willBeOverdue once per invoice.
func warn(ctx context.Context, tx *store.Tx, project string, inv *Invoice, now time.Time) error {
	if inv.warnedAt != nil {
		return nil
	}
	inv.warnedAt = &now
	if err := setDelinquency(ctx, tx, inv, now); err != nil {
		return err
	}
	return events.Record(ctx, tx, project, "invoice.willBeOverdue", inv.ID, inv, now)
}

// markOverdue makes an unpaid invoice overdue: the warning first if it was
// not given, then invoice.overdue. It does not act on the subscription.
func (e *Invoices) markOverdue(ctx context.Context, tx *store.Tx, project string, inv *Invoice, at time.Time) error {
	if inv.Status != StatusFinalized || inv.overdueSince != nil {
		return nil
	}
	if err := warn(ctx, tx, project, inv, at); err != nil {
		return err
	}
	inv.overdueSince = &at
	if err := setDelinquency(ctx, tx, inv, at); err != nil {
		return err
	}
	if err := cancelTimers(ctx, tx, inv); err != nil {
		return err
	}
	return events.Record(ctx, tx, project, "invoice.overdue", inv.ID, inv, at)
}

func cancelTimers(ctx context.Context, tx *store.Tx, inv *Invoice) error {
	if inv.overdueAt == nil {
		return nil
	}
	for _, kind := range []string{KindWillBeOverdue, KindOverdue} {
		if err := timeline.Cancel(ctx, tx, kind, inv.ID); err != nil {
			return err
		}
	}
	return nil
}

func (e *Invoices) handleWillBeOverdue(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	inv, _, err := e.lockInvoice(ctx, tx, t.Project, t.Subject)
	if err != nil || inv.Status != StatusFinalized || inv.overdueSince != nil || inv.overdueAt == nil {
		return err
	}
	if err := warn(ctx, tx, t.Project, inv, now); err != nil {
		return err
	}
	return timeline.Schedule(ctx, tx, t.Project, KindOverdue, inv.ID, *inv.overdueAt)
}

// Overdue is the overdue step of docs/billing.md §3, run by the invoice's
// overdue timer: the invoice becomes overdue, and the returned action
// (projects.OverdueActionEnd or OverdueActionRestrict; "" for none) is
// what its subscription gets, b being that subscription.
func (e *Invoices) Overdue(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (b *subscriptions.Billed, action string, err error) {
	inv, b, err := e.lockInvoice(ctx, tx, project, id)
	if err != nil || inv.Status != StatusFinalized || inv.overdueSince != nil {
		return nil, "", err
	}
	if err := e.markOverdue(ctx, tx, project, inv, now); err != nil {
		return nil, "", err
	}
	if b == nil || b.Status == subscriptions.StatusEnded {
		return nil, "", nil
	}
	set, err := settingsOf(ctx, tx, project)
	if err != nil || set == nil {
		return nil, "", err
	}
	switch {
	case b.Period == nil || inv.periodNumber > b.Period.Number:
		// Invoiced in advance and overdue before its period began: the
		// subscription does not renew into it, whatever the action.
		return b, projects.OverdueActionEnd, nil
	case overdueAction(b, set) == projects.OverdueActionEnd, overdueAction(b, set) == projects.OverdueActionRestrict:
		return b, overdueAction(b, set), nil
	}
	return b, "", nil // none: service runs on until the next renewal
}

func (e *Invoices) handleAdvanceInvoice(ctx context.Context, tx *store.Tx, t timeline.Timer, now time.Time) error {
	b, err := subscriptions.LoadBilled(ctx, tx, t.Project, t.Subject)
	if err != nil || b == nil {
		return err
	}
	return e.issueAdvanceIfDue(ctx, tx, b, now)
}

// issueAdvanceIfDue issues the renewal invoice of the next period when the
// project invoices in advance and its time has come, unless the
// subscription will not enter that period, it is already invoiced, or an
// unpaid renewal invoice holds it back (paying that one releases it).
func (e *Invoices) issueAdvanceIfDue(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, now time.Time) error {
	if !b.Live() || b.Next == nil || (b.Canceled() && !b.EndsAt.After(b.Period.End)) {
		return nil
	}
	set, err := settingsOf(ctx, tx, b.Project)
	if err != nil || set == nil || set.AdvanceInvoicingDays == 0 || now.Before(advanceAt(b.Period, set.AdvanceInvoicingDays)) {
		return err
	}
	invs, err := subscriptionInvoices(ctx, tx, b.Project, b.ID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		held := inv.Status == StatusFinalized && inv.Reason == ReasonSubscriptionRenewal
		if held || inv.periodNumber >= b.Next.Number {
			return nil
		}
	}
	_, err = e.issueRenewal(ctx, tx, b, b.Next, set, now)
	return err
}

// settleFrom settles the invoices of periods starting at or after from,
// which the subscription will never enter (and the first invoice of one
// never activated): unpaid ones are voided, paid ones credited in full to
// the user's balance (docs/billing.md §3 "void rule").
func (e *Invoices) settleFrom(ctx context.Context, tx *store.Tx, b *subscriptions.Billed, from time.Time, origin string, now time.Time) error {
	invs, err := subscriptionInvoices(ctx, tx, b.Project, b.ID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		unstarted := inv.Period == nil && b.ActivatedAt == nil
		if inv.Period != nil {
			unstarted = !inv.Period.Start.Before(from)
		}
		if !unstarted {
			continue
		}
		if inv.Status == StatusPaid {
			if _, err := creditToBalance(ctx, tx, b.Project, inv, origin, now); err != nil {
				return err
			}
			continue
		}
		if err := markVoided(ctx, tx, b.Project, inv, now); err != nil {
			return err
		}
	}
	return nil
}
