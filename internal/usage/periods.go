package usage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// periodState is a period's row while an ingest counts into it.
type periodState struct {
	key       periodKey
	line      *subscriptions.Line
	period    subscriptions.Period
	used      amounts
	notified  [3]int64
	throttled bool
	// throttledAt is set when this ingest throttled the line.
	throttledAt *time.Time
}

// countInPeriods adds the records to their periods' balances, in feed
// order, and records what each crossing announces: thresholdExceeded and
// thresholdReached at 70, 90 and 100 % of each limited allowance, once
// per balance, and the fair-use throttle once per period.
func countInPeriods(ctx context.Context, tx *store.Tx, project string, ms []matched, now time.Time) error {
	states := map[periodKey]*periodState{}
	var keys []periodKey
	for _, m := range ms {
		k := periodKey{m.line.ID, m.period.Number}
		if states[k] == nil {
			states[k] = &periodState{key: k, line: m.line, period: m.period}
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].sub != keys[j].sub {
			return keys[i].sub < keys[j].sub
		}
		return keys[i].number < keys[j].number
	})
	if err := lockPeriods(ctx, tx, keys, states); err != nil {
		return err
	}
	var subs []string
	for _, k := range keys {
		if len(subs) == 0 || subs[len(subs)-1] != k.sub {
			subs = append(subs, k.sub)
		}
	}
	addons, err := lockAddons(ctx, tx, subs)
	if err != nil {
		return err
	}
	for _, m := range ms {
		st := states[periodKey{m.line.ID, m.period.Number}]
		if err := st.count(ctx, tx, project, m, addons[m.line.ID], now); err != nil {
			return err
		}
	}
	if err := savePeriods(ctx, tx, keys, states); err != nil {
		return err
	}
	return saveAddons(ctx, tx, addons)
}

// lockPeriods makes sure every period has its row, then reads (and on
// PostgreSQL locks) them in key order.
func lockPeriods(ctx context.Context, tx *store.Tx, keys []periodKey, states map[periodKey]*periodState) error {
	const per = 200
	for rest := keys; len(rest) > 0; {
		n := min(len(rest), per)
		args := make([]any, 0, n*4)
		for _, k := range rest[:n] {
			p := states[k].period
			args = append(args, k.sub, k.number, store.Micros(p.Start), store.Micros(p.End))
		}
		// On PostgreSQL a missing row is inserted first so that it can be
		// locked; SQLite's single writer needs no lock, and the save inserts.
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `INSERT INTO usage_periods (subscription_id, period_number, usable_from, usable_until) VALUES `+
				placeholders(n, 4)+` ON CONFLICT DO NOTHING`, args...); err != nil {
				return fmt.Errorf("usage: periods: %w", err)
			}
		}
		args = args[:0]
		for _, k := range rest[:n] {
			args = append(args, k.sub, k.number)
		}
		rows, err := store.All(ctx, tx, func(sc store.Scanner) (periodState, error) {
			var (
				st          periodState
				throttledAt sql.NullInt64
			)
			err := sc.Scan(&st.key.sub, &st.key.number, &st.used[iData], &st.used[iVoice], &st.used[iSMS],
				&st.notified[iData], &st.notified[iVoice], &st.notified[iSMS], &throttledAt)
			st.throttled = throttledAt.Valid
			return st, err
		}, `SELECT subscription_id, period_number, data_bytes, voice_seconds, sms_messages, data_notified, voice_notified, sms_notified, throttled_at
			FROM usage_periods WHERE (subscription_id, period_number) IN (`+placeholders(n, 2)+`)
			ORDER BY subscription_id, period_number`+tx.Dialect().ForUpdate(), args...)
		if err != nil {
			return fmt.Errorf("usage: read periods: %w", err)
		}
		for _, r := range rows {
			st := states[r.key]
			st.used, st.notified, st.throttled = r.used, r.notified, r.throttled
		}
		rest = rest[n:]
	}
	return nil
}

// count adds one record to the period, and past the plan's limit to the
// add-ons usable when it happened, and announces what it crossed.
func (st *periodState) count(ctx context.Context, tx *store.Tx, project string, m matched, addons []*addonState, now time.Time) error {
	usageAt := m.rec.End.UTC().Truncate(time.Second)
	for t := range Types {
		if m.use[t] == 0 {
			continue
		}
		plan := &balance{limit: allowanceLimit(st.line.Plan, t), used: st.used[t]}
		before := plan.used
		if err := countInAddons(ctx, tx, project, st, addons, m, t, plan, usageAt, now); err != nil {
			return err
		}
		st.used[t] = plan.used
		if plan.limit != nil {
			if err := st.crossed(ctx, tx, project, t, *plan.limit, usageAt, now); err != nil {
				return err
			}
		}
		if t == iData {
			if err := st.fairUse(ctx, tx, project, before, usageAt, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// crossed announces each threshold of type t's limit that the period's
// use has reached and that was not announced yet.
func (st *periodState) crossed(ctx context.Context, tx *store.Tx, project string, t int, limit int64, usageAt, now time.Time) error {
	for i, pct := range Thresholds {
		bit := int64(1) << i
		if st.notified[t]&bit != 0 || st.used[t] < thresholdValue(limit, pct) {
			continue
		}
		st.notified[t] |= bit
		p := st.period
		b := planBalance(st.line, p.Number, &p, t, st.used[t])
		if err := thresholdCrossed(ctx, tx, project, st.line.Plan.ID, b, pct, usageAt, now); err != nil {
			return err
		}
	}
	return nil
}

// fairUse throttles the line once its current period's data passes the
// plan's throttling threshold: the throttled notification, and the call
// that tells the carrier. Usage reported late for an earlier period does
// not throttle the line now.
func (st *periodState) fairUse(ctx context.Context, tx *store.Tx, project string, before int64, usageAt, now time.Time) error {
	l := st.line
	lim := l.Plan.Limits
	if st.throttled || lim == nil || lim.Throttling == nil || l.Status == subscriptions.StatusEnded ||
		l.Period == nil || st.period.Number != l.Period.Number || st.used[iData] <= lim.Throttling.ThresholdBytes {
		return nil
	}
	st.throttled, st.throttledAt = true, &now
	bps := lim.Throttling.BandwidthBitsPerSecond
	used := st.used[iData]
	unit := UnitBytes
	if err := notify(ctx, tx, project, Notification{Type: NotificationThrottled, Subscription: l.ID, Plan: l.Plan.ID,
		Usage: &used, Unit: &unit, BandwidthBitsPerSecond: &bps, UsageAt: usageAt}, now); err != nil {
		return err
	}
	return tellThrottle(ctx, tx, l, bps, now)
}

// savePeriods writes the periods back, many rows per statement.
func savePeriods(ctx context.Context, tx *store.Tx, keys []periodKey, states map[periodKey]*periodState) error {
	const per = 100
	for len(keys) > 0 {
		n := min(len(keys), per)
		args := make([]any, 0, n*11)
		for _, k := range keys[:n] {
			st := states[k]
			var throttledAt sql.NullInt64
			if st.throttledAt != nil {
				throttledAt = sql.NullInt64{Int64: store.Micros(*st.throttledAt), Valid: true}
			}
			args = append(args, k.sub, k.number, store.Micros(st.period.Start), store.Micros(st.period.End),
				st.used[iData], st.used[iVoice], st.used[iSMS], st.notified[iData], st.notified[iVoice], st.notified[iSMS], throttledAt)
		}
		_, err := tx.Exec(ctx, `INSERT INTO usage_periods (subscription_id, period_number, usable_from, usable_until,
			data_bytes, voice_seconds, sms_messages, data_notified, voice_notified, sms_notified, throttled_at)
			VALUES `+placeholders(n, 11)+` ON CONFLICT (subscription_id, period_number) DO UPDATE SET
			data_bytes = excluded.data_bytes, voice_seconds = excluded.voice_seconds, sms_messages = excluded.sms_messages,
			data_notified = excluded.data_notified, voice_notified = excluded.voice_notified, sms_notified = excluded.sms_notified,
			throttled_at = COALESCE(usage_periods.throttled_at, excluded.throttled_at)`, args...)
		if err != nil {
			return fmt.Errorf("usage: save periods: %w", err)
		}
		keys = keys[n:]
	}
	return nil
}
