package network

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// usageCursor orders the feed: by report time, then ICCID, then start.
type usageCursor struct {
	reportedAt time.Time
	iccid      string
	start      time.Time
}

func (c usageCursor) String() string {
	return fmt.Sprintf("%d.%s.%d", c.reportedAt.UnixMicro(), c.iccid, c.start.UnixMicro())
}

func (c usageCursor) before(o usageCursor) bool {
	if !c.reportedAt.Equal(o.reportedAt) {
		return c.reportedAt.Before(o.reportedAt)
	}
	if c.iccid != o.iccid {
		return c.iccid < o.iccid
	}
	return c.start.Before(o.start)
}

func parseUsageCursor(s string) (usageCursor, error) {
	if s == "" {
		return usageCursor{}, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) == 3 {
		rep, err1 := strconv.ParseInt(parts[0], 10, 64)
		start, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 == nil && err2 == nil {
			return usageCursor{reportedAt: time.UnixMicro(rep).UTC(), iccid: parts[1], start: time.UnixMicro(start).UTC()}, nil
		}
	}
	return usageCursor{}, Errorf(CodeInvalidRequest, "cursor %q is not one this carrier gave", s)
}

// Usage returns the project's usage records reported after the cursor and
// by Now. A line in service uses something every interval (data stops
// while restricted); each interval's record is reported after the
// profile's delay, with data inflated by its over-reporting.
func (s *Simulator) Usage(ctx context.Context, req UsageRequest) (UsageBatch, error) {
	return call(ctx, s, OpUsage, req.Meta, req, "", func() (UsageBatch, error) {
		after, err := parseUsageCursor(req.Cursor)
		if err != nil {
			return UsageBatch{}, err
		}
		limit := req.Limit
		if limit < 0 || limit > MaxUsageLimit {
			return UsageBatch{}, Errorf(CodeInvalidRequest, "limit must be between 0 and %d", MaxUsageLimit)
		}
		if limit == 0 {
			limit = MaxUsageLimit
		}
		u := s.Profile.Usage
		interval := time.Duration(u.Interval)
		// Only intervals that can be reported in (after, Now] are looked at.
		from := after.reportedAt.Add(-time.Duration(u.ReportDelay.Max) - interval)
		to := req.Now.Add(-time.Duration(u.ReportDelay.Min))
		var recs []UsageRecord
		for iccid, l := range s.lines {
			if l.project != req.Project || len(l.changes) == 0 {
				continue
			}
			start := l.changes[0].at
			if start.Before(from) {
				start = from
			}
			for w := start.Truncate(interval); !w.Add(interval).After(to); w = w.Add(interval) {
				state := l.stateAt(w)
				if state != lineActive && state != lineRestricted {
					continue
				}
				if m, ok := s.modelledAt(l, w); ok && m == nil {
					continue // a test project's line without a model
				}
				rec := s.usageRecord(iccid, l, w, state)
				c := usageCursor{rec.ReportedAt, iccid, rec.Start}
				if !rec.ReportedAt.After(req.Now) && after.before(c) {
					recs = append(recs, rec)
				}
			}
		}
		sort.Slice(recs, func(i, j int) bool {
			return usageCursor{recs[i].ReportedAt, recs[i].ICCID, recs[i].Start}.before(usageCursor{recs[j].ReportedAt, recs[j].ICCID, recs[j].Start})
		})
		if len(recs) > limit {
			recs = recs[:limit]
		}
		batch := UsageBatch{Records: recs, NextCursor: req.Cursor}
		if n := len(recs); n > 0 {
			batch.NextCursor = usageCursor{recs[n-1].ReportedAt, recs[n-1].ICCID, recs[n-1].Start}.String()
		}
		if batch.Records == nil {
			batch.Records = []UsageRecord{}
		}
		return batch, nil
	})
}

func (s *Simulator) usageRecord(iccid string, l *line, w time.Time, state string) UsageRecord {
	u := s.Profile.Usage
	interval := time.Duration(u.Interval)
	key := strconv.FormatInt(w.Unix(), 10)
	end := w.Add(interval)
	rec := UsageRecord{ICCID: iccid, PhoneNumber: l.phone, Start: w.UTC(), End: end.UTC(),
		VoiceSeconds: s.intBetween(u.VoiceSeconds, "voice", iccid, key),
		SMSMessages:  s.intBetween(u.SMSMessages, "sms", iccid, key),
		Country:      s.Info.HomeCountry, Roaming: RoamingNone,
		ReportedAt: end.Add(s.between(u.ReportDelay, "reportDelay", iccid, key)).UTC()}
	actual := s.intBetween(u.DataBytes, "data", iccid, key)
	if m, _ := s.modelledAt(l, w); m != nil {
		actual, rec.VoiceSeconds, rec.SMSMessages = s.modelled(m, interval, iccid, key, w)
	}
	if t, ok := valueAt(l.throttles, func(c throttleChange) time.Time { return c.at }, w); ok {
		actual = capped(actual, t.bps, interval)
	}
	// A restricted line carries no data.
	if state == lineActive {
		over := u.OverReport.Min + s.unit("overReport", iccid, key)*(u.OverReport.Max-u.OverReport.Min)
		rec.DataBytes = actual + int64(float64(actual)*over)
	}
	switch r := s.unit("roaming", iccid, key); {
	case r < u.InternationalRoaming:
		rec.Roaming, rec.Country = RoamingInternational, s.pick(u.RoamingCountries, "country", iccid, key)
	case r < u.InternationalRoaming+u.DomesticRoaming:
		rec.Roaming = RoamingDomestic
	}
	return rec
}
