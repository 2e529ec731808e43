package usage

import (
	"context"
	"database/sql"
	"errors"
	"math/bits"
	"strconv"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Balance is the API representation of a usage balance (reference §2.14).
type Balance struct {
	Object           string     `json:"object"`
	ID               string     `json:"id"`
	Allowance        Allowance  `json:"allowance"`
	Subscription     string     `json:"subscription"`
	Source           Source     `json:"source"`
	Unit             string     `json:"unit"`
	Used             int64      `json:"used"`
	Limit            *int64     `json:"limit"`
	Remaining        *int64     `json:"remaining"`
	UsedPercent      *int64     `json:"usedPercent"`
	RemainingPercent *int64     `json:"remainingPercent"`
	UsableFrom       *time.Time `json:"usableFrom"`
	UsableUntil      *time.Time `json:"usableUntil"`
}

// Allowance is what a balance grants.
type Allowance struct {
	Object   string            `json:"object"`
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Coverage *catalog.Coverage `json:"coverage"`
	Limit    *int64            `json:"limit"`
	Unit     string            `json:"unit"`
}

// Source says where a balance comes from: the subscription's period, or
// (with add-ons) a subscription add-on.
type Source struct {
	Type               string  `json:"type"`
	SubscriptionPeriod *int    `json:"subscriptionPeriod,omitempty"`
	SubscriptionAddon  *string `json:"subscriptionAddon,omitempty"`
}

// Source types.
const (
	SourcePeriod = "subscriptionPeriod"
	SourceAddon  = "subscriptionAddon"
)

// balance is one allowance's state while an ingest counts usage into it.
type balance struct {
	limit *int64 // nil: unlimited
	used  int64
	// until orders add-on balances: the earliest expiry is used first.
	until time.Time
}

// consume spreads amount over the balances that are usable for it, in the
// consumption order (docs/usage.md): bs[0] is the plan's balance and is
// used first; add-on balances follow, earliest expiry first, as sorted by
// the caller. What no balance has room for goes to the plan's balance,
// beyond its limit: usage is never lost. It returns what each took.
func consume(bs []*balance, amount int64) []int64 {
	took := make([]int64, len(bs))
	for i, b := range bs {
		if amount == 0 {
			break
		}
		n := amount
		if b.limit != nil {
			n = min(amount, max(0, *b.limit-b.used))
		}
		b.used = saturatingAdd(b.used, n)
		took[i] += n
		amount -= n
	}
	if amount > 0 && len(bs) > 0 {
		bs[0].used = saturatingAdd(bs[0].used, amount)
		took[0] += amount
	}
	return took
}

// thresholdValue is pct % of limit, rounded up, without overflowing.
func thresholdValue(limit, pct int64) int64 {
	return limit/100*pct + (limit%100*pct+99)/100
}

// allowanceLimit is the plan's allowance of type t; nil is unlimited.
func allowanceLimit(p *catalog.Plan, t int) *int64 {
	switch t {
	case iData:
		return p.Allowances.DataBytes
	case iVoice:
		return p.Allowances.VoiceSeconds
	}
	return p.Allowances.SMSMessages
}

// planBalance renders the plan's balance of type t in a period with used
// (period nil: the subscription has not started, nothing is usable yet).
func planBalance(l *subscriptions.Line, number int, period *subscriptions.Period, t int, used int64) Balance {
	typ := Types[t]
	limit := allowanceLimit(l.Plan, t)
	n := number
	b := Balance{Object: "usageBalance", ID: balanceID(l, number, typ), Subscription: l.ID,
		Allowance: Allowance{Object: "allowance", Name: l.Plan.Name + " " + typ, Type: typ, Coverage: l.Plan.Coverage, Limit: limit, Unit: Units[typ]},
		Source:    Source{Type: SourcePeriod, SubscriptionPeriod: &n}, Unit: Units[typ], Used: used, Limit: limit}
	if period != nil {
		from, until := period.Start, period.End
		b.UsableFrom, b.UsableUntil = &from, &until
	}
	if limit != nil {
		remaining := max(0, *limit-used)
		usedPct := percent(used, *limit)
		remainingPct := 100 - usedPct
		b.Remaining, b.UsedPercent, b.RemainingPercent = &remaining, &usedPct, &remainingPct
	}
	return b
}

// balanceID is derived, not stored: one per subscription, period and type.
func balanceID(l *subscriptions.Line, number int, typ string) string {
	return ids.Derived(ids.UsageBalance, l.CreatedAt, l.ID, strconv.Itoa(number), typ)
}

// Balances lists a subscription's balances: one per allowance of its
// current period, then those of its active add-ons (the last one once it ended; period 1, not yet usable,
// while it has not started).
func Balances(ctx context.Context, q store.Querier, project, id string) ([]Balance, error) {
	l, err := subscriptions.LineOf(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	number, period := 1, l.Period
	if period != nil {
		number = period.Number
	}
	var used amounts
	err = q.QueryRow(ctx, `SELECT data_bytes, voice_seconds, sms_messages FROM usage_periods WHERE subscription_id = ? AND period_number = ?`,
		l.ID, number).Scan(&used[iData], &used[iVoice], &used[iSMS])
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	out := make([]Balance, len(Types))
	for t := range Types {
		out[t] = planBalance(l, number, period, t, used[t])
	}
	extra, err := addonBalances(ctx, q, l)
	return append(out, extra...), err
}

// percent is used as a whole percentage of limit, at most 100, in 128-bit
// arithmetic so no amount overflows.
func percent(used, limit int64) int64 {
	if used >= limit {
		return 100
	}
	hi, lo := bits.Mul64(uint64(used), 100)
	q, _ := bits.Div64(hi, lo, uint64(limit))
	return int64(q)
}
