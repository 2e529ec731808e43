package usage

import (
	"context"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Record is the API representation of a usage record (reference §2.13):
// one line's use over one UTC day in one country with one roaming label.
// It has no id. The PREVIEW splits (device and tethering bytes, local and
// international SMS and voice) are left out: the carriers' feeds do not
// carry them.
type Record struct {
	Data      int64     `json:"data"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Labels    Labels    `json:"labels"`
	SMS       int64     `json:"sms"`
	UpdatedAt time.Time `json:"updatedAt"`
	Voice     int64     `json:"voice"`
}

// Labels say where a record's use happened.
type Labels struct {
	Country      string `json:"country"`
	Roaming      string `json:"roaming"`
	Subscription string `json:"subscription"`
}

// MaxRange bounds the span GET .../usage answers for: a year and a day,
// so a year of daily records in every country of a trip fits one answer.
const MaxRange = 366 * 24 * time.Hour

// Query selects records: a period number, or a time range, or neither
// (the latest period).
type Query struct {
	Period     int
	Start, End time.Time
}

// Records lists a subscription's usage records, oldest first: the days
// that overlap the range (a period's own bounds, or the given start and
// end), one record per day, country and roaming label.
func Records(ctx context.Context, q store.Querier, project, id string, in Query) ([]Record, error) {
	l, err := subscriptions.LineOf(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	start, end := in.Start, in.End
	if start.IsZero() {
		if l.Period == nil {
			return []Record{}, nil
		}
		p := *l.Period
		if in.Period != 0 {
			if in.Period > p.Number {
				return nil, errs.Invalid("periodInvalid", "Subscription %s is in period %d; period %d has not started.", id, p.Number, in.Period)
			}
			if p, err = periodBounds(ctx, q, l, in.Period); err != nil {
				return nil, err
			}
		}
		start, end = p.Start, p.End
	}
	from := start.UTC().Truncate(24 * time.Hour)
	rows, err := store.All(ctx, q, func(sc store.Scanner) (Record, error) {
		var (
			r          Record
			day, upd   int64
			data, v, s int64
		)
		err := sc.Scan(&day, &r.Labels.Country, &r.Labels.Roaming, &data, &v, &s, &upd)
		r.Start, r.UpdatedAt = store.Time(day), store.Time(upd)
		r.End = r.Start.Add(24 * time.Hour)
		r.Data, r.Voice, r.SMS, r.Labels.Subscription = data, v, s, id
		return r, err
	}, `SELECT day, country, roaming, data_bytes, voice_seconds, sms_messages, updated_at FROM usage_days
		WHERE subscription_id = ? AND day >= ? AND day < ? ORDER BY day, country, roaming`,
		id, store.Micros(from), store.Micros(end))
	if rows == nil {
		rows = []Record{}
	}
	return rows, err
}

// periodBounds is period n of a line: from its stored balances when it
// used anything, else measured from the renewal anchor.
func periodBounds(ctx context.Context, q store.Querier, l *subscriptions.Line, n int) (subscriptions.Period, error) {
	var from, until int64
	err := q.QueryRow(ctx, `SELECT usable_from, usable_until FROM usage_periods WHERE subscription_id = ? AND period_number = ?`, l.ID, n).
		Scan(&from, &until)
	if err == nil {
		return subscriptions.Period{Number: n, Start: store.Time(from), End: store.Time(until)}, nil
	}
	p := *l.Period
	for p.Number > n {
		prev, ok := l.PeriodAt(p.Start.Add(-time.Microsecond))
		if !ok || prev.Number >= p.Number {
			break
		}
		p = prev
	}
	return p, nil
}
