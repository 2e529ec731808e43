package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
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

// MarshalJSON writes the record as encoding/json would from its fields,
// without reflection: a year's answer holds thousands of records, and
// encoding them was a quarter of GET .../usage's CPU.
func (r Record) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 224)
	b = append(b, `{"data":`...)
	b = strconv.AppendInt(b, r.Data, 10)
	var err error
	if b, err = appendTime(append(b, `,"start":`...), r.Start); err != nil {
		return nil, err
	}
	if b, err = appendTime(append(b, `,"end":`...), r.End); err != nil {
		return nil, err
	}
	b = appendString(append(b, `,"labels":{"country":`...), r.Labels.Country)
	b = appendString(append(b, `,"roaming":`...), r.Labels.Roaming)
	b = appendString(append(b, `,"subscription":`...), r.Labels.Subscription)
	b = strconv.AppendInt(append(b, `},"sms":`...), r.SMS, 10)
	if b, err = appendTime(append(b, `,"updatedAt":`...), r.UpdatedAt); err != nil {
		return nil, err
	}
	b = strconv.AppendInt(append(b, `,"voice":`...), r.Voice, 10)
	return append(b, '}'), nil
}

// appendTime is time.Time's JSON: RFC 3339 with the nanoseconds it has.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("usage: time %v has no RFC 3339 form", t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendString quotes s as encoding/json does; the labels are plain ASCII
// (a country code, a roaming label, an id), anything else goes the long way.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
