package usage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"cellgate/internal/geo"
	"cellgate/internal/memo"
	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// MaxRecordAmount bounds each amount of one feed record (10^15 bytes is a
// petabyte): a record above it is kept aside as invalid, so sums stay far
// from overflowing.
const MaxRecordAmount = 1_000_000_000_000_000

// Reasons a record is kept aside.
const (
	OrphanUnknownLine = "unknownLine"
	OrphanNotStarted  = "lineNotStarted"
	OrphanInvalid     = "invalidRecord"
)

// Result counts what an ingest did with its records.
type Result struct {
	Ingested, Orphaned int
}

// matched is a record with the line and period it counts in.
type matched struct {
	rec    network.UsageRecord
	use    amounts
	line   *subscriptions.Line
	period subscriptions.Period
}

// Ingest records a batch of one provider's feed for a project in tx: the
// day aggregates, the period balances, firstUsageAt, and the notifications
// the batch crossed, all in the transaction that moves the feed's cursor.
// A record for no known line is kept aside, never dropped and never an
// error.
func Ingest(ctx context.Context, tx *store.Tx, project, provider string, recs []network.UsageRecord, now time.Time) (Result, error) {
	ctx = memo.Scope(ctx)
	var res Result
	iccids := make([]string, 0, len(recs))
	seen := map[string]bool{}
	for _, r := range recs {
		if !seen[r.ICCID] {
			seen[r.ICCID] = true
			iccids = append(iccids, r.ICCID)
		}
	}
	lines, err := linesByICCID(ctx, tx, project, provider, iccids)
	if err != nil {
		return res, err
	}
	var ms []matched
	for _, r := range recs {
		reason := checkRecord(r)
		var m matched
		if reason == "" {
			m, reason = match(r, lines[r.ICCID])
		}
		if reason != "" {
			if err := keepAside(ctx, tx, project, provider, reason, r, now); err != nil {
				return res, err
			}
			res.Orphaned++
			continue
		}
		ms = append(ms, m)
	}
	res.Ingested = len(ms)
	return res, apply(ctx, tx, project, ms, now)
}

// linesByICCID looks lines up in chunks that stay within every engine's
// limit on bound parameters.
func linesByICCID(ctx context.Context, tx *store.Tx, project, provider string, iccids []string) (map[string][]*subscriptions.Line, error) {
	out := map[string][]*subscriptions.Line{}
	for len(iccids) > 0 {
		n := min(len(iccids), 500)
		part, err := subscriptions.LinesByICCID(ctx, tx, project, provider, iccids[:n])
		if err != nil {
			return nil, err
		}
		for k, v := range part {
			out[k] = v
		}
		iccids = iccids[n:]
	}
	return out, nil
}

// checkRecord says why a record cannot be counted, or "".
func checkRecord(r network.UsageRecord) string {
	switch {
	case r.ICCID == "" || len(r.ICCID) > 22:
		return OrphanInvalid
	case r.Start.IsZero() || r.End.Before(r.Start):
		return OrphanInvalid
	case r.DataBytes < 0 || r.VoiceSeconds < 0 || r.SMSMessages < 0:
		return OrphanInvalid
	case r.DataBytes > MaxRecordAmount || r.VoiceSeconds > MaxRecordAmount || r.SMSMessages > MaxRecordAmount:
		return OrphanInvalid
	case !geo.ValidCountry(r.Country):
		return OrphanInvalid
	case r.Roaming != network.RoamingNone && r.Roaming != network.RoamingDomestic && r.Roaming != network.RoamingInternational:
		return OrphanInvalid
	}
	return ""
}

// match finds the line a record counts for: of the subscriptions that ran
// on the SIM, the last one activated by the record's start (or the first,
// for usage just before activation), and the period that holds the start.
func match(r network.UsageRecord, ls []*subscriptions.Line) (matched, string) {
	if len(ls) == 0 {
		return matched{}, OrphanUnknownLine
	}
	l := ls[0]
	for _, c := range ls[1:] {
		if !c.ActivatedAt.After(r.Start) {
			l = c
		}
	}
	p, ok := l.PeriodAt(r.Start)
	if !ok {
		return matched{}, OrphanNotStarted
	}
	return matched{rec: r, use: amounts{r.DataBytes, r.VoiceSeconds, r.SMSMessages}, line: l, period: p}, ""
}

type dayKey struct {
	sub              string
	day              int64
	country, roaming string
}

type periodKey struct {
	sub    string
	number int
}

// apply writes matched records: first usage, then days, then periods (the
// lock order of docs/concurrency.md: subscription rows before usage rows).
func apply(ctx context.Context, tx *store.Tx, project string, ms []matched, now time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	if err := firstUsage(ctx, tx, project, ms, now); err != nil {
		return err
	}
	if err := startAddons(ctx, tx, project, ms); err != nil {
		return err
	}
	days := map[dayKey]*amounts{}
	var dayOrder []dayKey
	for _, m := range ms {
		k := dayKey{m.line.ID, store.Micros(m.rec.Start.UTC().Truncate(24 * time.Hour)), m.rec.Country, m.rec.Roaming}
		a := days[k]
		if a == nil {
			a = &amounts{}
			days[k] = a
			dayOrder = append(dayOrder, k)
		}
		a.add(m.use)
	}
	if err := writeDays(ctx, tx, dayOrder, days, now); err != nil {
		return err
	}
	return countInPeriods(ctx, tx, project, ms, now)
}

// firstUsage sets firstUsageAt of lines whose earliest record in the batch
// is their first use (or earlier than the one known), in id order, and
// announces the first use.
func firstUsage(ctx context.Context, tx *store.Tx, project string, ms []matched, now time.Time) error {
	first := map[string]*matched{}
	for i := range ms {
		m := &ms[i]
		if m.use.zero() {
			continue
		}
		if f := first[m.line.ID]; f == nil || m.rec.Start.Before(f.rec.Start) {
			first[m.line.ID] = m
		}
	}
	ids := make([]string, 0, len(first))
	for id, m := range first {
		if m.line.FirstUsageAt == nil || m.rec.Start.Before(*m.line.FirstUsageAt) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		m := first[id]
		at := m.rec.Start.UTC().Truncate(time.Second)
		started, err := subscriptions.MarkFirstUsage(ctx, tx, id, at)
		if err != nil {
			return err
		}
		m.line.FirstUsageAt = &at
		if started {
			if err := notify(ctx, tx, project, Notification{Type: NotificationStarted, Subscription: id, Plan: m.line.Plan.ID,
				UsageAt: at}, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// startAddons activates the usageStarted add-ons the batch's usage
// starts, before the usage is counted (docs/changes.md).
func startAddons(ctx context.Context, tx *store.Tx, project string, ms []matched) error {
	used := map[string][]time.Time{}
	for _, m := range ms {
		if !m.use.zero() {
			used[m.line.ID] = append(used[m.line.ID], m.rec.Start)
		}
	}
	return subscriptions.StartedByUsage(ctx, tx, project, used)
}

// writeDays adds to the day aggregates, many rows per statement.
func writeDays(ctx context.Context, tx *store.Tx, keys []dayKey, days map[dayKey]*amounts, now time.Time) error {
	const per = 100
	for len(keys) > 0 {
		n := min(len(keys), per)
		args := make([]any, 0, n*8)
		for _, k := range keys[:n] {
			a := days[k]
			args = append(args, k.sub, k.day, k.country, k.roaming, a[iData], a[iVoice], a[iSMS], store.Micros(now))
		}
		_, err := tx.Exec(ctx, `INSERT INTO usage_days (subscription_id, day, country, roaming, data_bytes, voice_seconds, sms_messages, updated_at)
			VALUES `+placeholders(n, 8)+`
			ON CONFLICT (subscription_id, day, country, roaming) DO UPDATE SET
			data_bytes = usage_days.data_bytes + excluded.data_bytes, voice_seconds = usage_days.voice_seconds + excluded.voice_seconds,
			sms_messages = usage_days.sms_messages + excluded.sms_messages, updated_at = excluded.updated_at`, args...)
		if err != nil {
			return fmt.Errorf("usage: days: %w", err)
		}
		keys = keys[n:]
	}
	return nil
}

// placeholders is n groups of k bound parameters: (?, ?), (?, ?).
func placeholders(n, k int) string {
	group := "(?" + strings.Repeat(", ?", k-1) + ")"
	return group + strings.Repeat(", "+group, n-1)
}
