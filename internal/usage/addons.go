package usage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Add-on balances: what a subscription add-on allows, used after the
// plan's balance of the period and before the next add-on, earliest
// expiry first (docs/usage.md "Consumption order", docs/changes.md).

// addonState is an add-on's row while an ingest counts into it.
type addonState struct {
	grant    subscriptions.Grant
	used     amounts
	notified [3]int64
}

// usableAt reports whether the add-on could be used at t: a record that
// arrives late counts in the add-on that was usable when it happened.
func (a *addonState) usableAt(t time.Time) bool {
	return !t.Before(a.grant.From) && t.Before(a.grant.Until)
}

// addonLimit is the add-on's allowance of type t; nil is unlimited.
func addonLimit(g subscriptions.Grant, t int) *int64 {
	switch t {
	case iData:
		return g.Allowances.DataBytes
	case iVoice:
		return g.Allowances.VoiceSeconds
	}
	return g.Allowances.SMSMessages
}

// grants reports whether the add-on gives anything of type t.
func grants(g subscriptions.Grant, t int) bool {
	l := addonLimit(g, t)
	return l == nil || *l > 0
}

// lockAddons reads (and on PostgreSQL locks) the usage rows of the
// subscriptions' activated add-ons, after their periods' rows.
func lockAddons(ctx context.Context, tx *store.Tx, subs []string) (map[string][]*addonState, error) {
	gs, err := subscriptions.GetGrants(ctx, tx, subs)
	if err != nil || len(gs) == 0 {
		return nil, err
	}
	out := map[string][]*addonState{}
	byID := map[string]*addonState{}
	var idsInOrder []string
	for _, sub := range subs {
		for _, g := range gs[sub] {
			a := &addonState{grant: g}
			out[sub] = append(out[sub], a)
			byID[g.ID] = a
			idsInOrder = append(idsInOrder, g.ID)
		}
	}
	sort.Strings(idsInOrder)
	for _, id := range idsInOrder {
		a := byID[id]
		if _, err := tx.Exec(ctx, `INSERT INTO usage_addons (subscription_addon_id, subscription_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			id, a.grant.Subscription); err != nil {
			return nil, fmt.Errorf("usage: add-on balances: %w", err)
		}
		err := tx.QueryRow(ctx, `SELECT data_bytes, voice_seconds, sms_messages, data_notified, voice_notified, sms_notified
			FROM usage_addons WHERE subscription_addon_id = ?`+tx.Dialect().ForUpdate(), id).Scan(&a.used[iData], &a.used[iVoice], &a.used[iSMS],
			&a.notified[iData], &a.notified[iVoice], &a.notified[iSMS])
		if err != nil {
			return nil, fmt.Errorf("usage: add-on balance %s: %w", id, err)
		}
	}
	return out, nil
}

// saveAddons writes the add-on balances back.
func saveAddons(ctx context.Context, tx *store.Tx, states map[string][]*addonState) error {
	for _, list := range states {
		for _, a := range list {
			_, err := tx.Exec(ctx, `UPDATE usage_addons SET data_bytes = ?, voice_seconds = ?, sms_messages = ?, data_notified = ?,
				voice_notified = ?, sms_notified = ? WHERE subscription_addon_id = ?`, a.used[iData], a.used[iVoice], a.used[iSMS],
				a.notified[iData], a.notified[iVoice], a.notified[iSMS], a.grant.ID)
			if err != nil {
				return fmt.Errorf("usage: save add-on balance %s: %w", a.grant.ID, err)
			}
		}
	}
	return nil
}

// addonBalance renders an add-on's balance of type t.
func addonBalance(l *subscriptions.Line, g subscriptions.Grant, t int, used int64) Balance {
	typ := Types[t]
	limit := addonLimit(g, t)
	id := g.ID
	from, until := g.From, g.Until
	b := Balance{Object: "usageBalance", ID: ids.Derived(ids.UsageBalance, l.CreatedAt, l.ID, g.ID, typ), Subscription: l.ID,
		Allowance: Allowance{Object: "allowance", Name: g.Name + " " + typ, Type: typ, Coverage: l.Plan.Coverage, Limit: limit, Unit: Units[typ]},
		Source:    Source{Type: SourceAddon, SubscriptionAddon: &id}, Unit: Units[typ], Used: used, Limit: limit,
		UsableFrom: &from, UsableUntil: &until}
	if limit != nil {
		remaining := max(0, *limit-used)
		usedPct := percent(used, *limit)
		remainingPct := 100 - usedPct
		b.Remaining, b.UsedPercent, b.RemainingPercent = &remaining, &usedPct, &remainingPct
	}
	return b
}

// addonBalances lists the balances of the subscription's active add-ons.
func addonBalances(ctx context.Context, q store.Querier, l *subscriptions.Line) ([]Balance, error) {
	gs, err := subscriptions.GetGrants(ctx, q, []string{l.ID})
	if err != nil {
		return nil, err
	}
	var out []Balance
	for _, g := range gs[l.ID] {
		if !g.Active {
			continue
		}
		var used amounts
		err := q.QueryRow(ctx, `SELECT data_bytes, voice_seconds, sms_messages FROM usage_addons WHERE subscription_addon_id = ?`, g.ID).
			Scan(&used[iData], &used[iVoice], &used[iSMS])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		for t := range Types {
			if grants(g, t) {
				out = append(out, addonBalance(l, g, t, used[t]))
			}
		}
	}
	return out, nil
}

// countInAddons spreads what the plan's balance of type t could not hold
// over the add-ons usable at the record's time, and announces the
// thresholds they cross.
func countInAddons(ctx context.Context, tx *store.Tx, project string, st *periodState, addons []*addonState, m matched, t int,
	plan *balance, usageAt, now time.Time) error {
	bs := []*balance{plan}
	var usable []*addonState
	for _, a := range addons {
		if a.usableAt(m.rec.Start) && grants(a.grant, t) {
			usable = append(usable, a)
			bs = append(bs, &balance{limit: addonLimit(a.grant, t), used: a.used[t], until: a.grant.Until})
		}
	}
	consume(bs, m.use[t])
	for i, a := range usable {
		a.used[t] = bs[i+1].used
		limit := addonLimit(a.grant, t)
		if limit == nil {
			continue
		}
		for j, pct := range Thresholds {
			bit := int64(1) << j
			if a.notified[t]&bit != 0 || a.used[t] < thresholdValue(*limit, pct) {
				continue
			}
			a.notified[t] |= bit
			b := addonBalance(st.line, a.grant, t, a.used[t])
			if err := thresholdCrossed(ctx, tx, project, st.line.Plan.ID, b, pct, usageAt, now); err != nil {
				return err
			}
		}
	}
	return nil
}
