package usage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/geo"
	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// SimulateInput is the body of POST /testing/projects/{p}/subscriptions/{s}/usage.
type SimulateInput struct {
	Data    optional.Value[int64]  `json:"data"`
	Voice   optional.Value[int64]  `json:"voice"`
	SMS     optional.Value[int64]  `json:"sms"`
	Country optional.Value[string] `json:"country"`
}

// Bounds of one simulated use: a terabyte, a month of calls, a hundred
// thousand messages.
const (
	MaxSimulatedData  = 1_000_000_000_000
	MaxSimulatedVoice = 31 * 24 * 3600
	MaxSimulatedSMS   = 100_000
)

func (in SimulateInput) amounts(prefix string) (amounts, error) {
	var a amounts
	for i, f := range []struct {
		name string
		v    optional.Value[int64]
		max  int64
	}{{"data", in.Data, MaxSimulatedData}, {"voice", in.Voice, MaxSimulatedVoice}, {"sms", in.SMS, MaxSimulatedSMS}} {
		switch {
		case !f.v.Set:
			return a, errs.Invalid("fieldRequired", "%s%s is required (use 0 for none).", prefix, f.name)
		case f.v.Null:
			return a, errs.Invalid("fieldNotNullable", "%s%s must not be null.", prefix, f.name)
		case f.v.Value < 0 || f.v.Value > f.max:
			return a, errs.Invalid("valueOutOfRange", "%s%s must be between 0 and %d; got %d.", prefix, f.name, f.max, f.v.Value)
		}
		a[i] = f.v.Value
	}
	return a, nil
}

// Simulate records usage on an active subscription of a test project, as
// if its carrier had reported it now, and returns the day's aggregated
// record for that country. It goes through the same counting as the feed:
// balances, firstUsageAt and notifications.
func (s *Service) Simulate(ctx context.Context, tx *store.Tx, project, id string, in SimulateInput, now time.Time) (*Record, error) {
	use, err := in.amounts("")
	if err != nil {
		return nil, err
	}
	if in.Country.Null {
		return nil, errs.Invalid("fieldNotNullable", "country must not be null; leave it out for the provider's home country.")
	}
	if in.Country.Set && !geo.ValidCountry(in.Country.Value) {
		return nil, errs.Invalid("countryInvalid", "country must be an ISO 3166-1 alpha-2 code such as \"US\"; got %q.", in.Country.Value)
	}
	p, err := projects.Get(ctx, tx, project)
	if err != nil {
		return nil, err
	}
	if !p.IsTest() {
		return nil, errs.PermissionDenied("liveProjectUsage", "Project %q is a live project: its usage comes from the carriers only.", project)
	}
	l, err := subscriptions.LineOf(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if l.Status != subscriptions.StatusActive {
		return nil, errs.Conflict("subscriptionNotActive", "Usage can be simulated only on an active subscription; %s is %s.", id, l.Status)
	}
	home := ""
	if info, ok := s.Carriers.Info(l.Provider); ok {
		home = info.HomeCountry
	}
	rec := network.UsageRecord{ICCID: l.ICCID, PhoneNumber: l.PhoneNumber, Start: now, End: now, DataBytes: use[iData],
		VoiceSeconds: use[iVoice], SMSMessages: use[iSMS], Country: home, Roaming: network.RoamingNone, ReportedAt: now}
	if in.Country.Set && in.Country.Value != home {
		rec.Country, rec.Roaming = in.Country.Value, network.RoamingInternational
	}
	if reason := checkRecord(rec); reason != "" {
		return nil, errs.Conflict("providerCountryUnknown", "The provider of %s names no home country; give country.", id)
	}
	day := store.Micros(now.UTC().Truncate(24 * time.Hour))
	if err := fitsInDay(ctx, tx, id, day, rec.Country, rec.Roaming, use); err != nil {
		return nil, err
	}
	m, _ := match(rec, []*subscriptions.Line{l})
	if err := apply(ctx, tx, project, []matched{m}, now); err != nil {
		return nil, err
	}
	recs, err := Records(ctx, tx, project, id, Query{Start: now, End: now.Add(time.Second)})
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if recs[i].Labels.Country == rec.Country && recs[i].Labels.Roaming == rec.Roaming {
			return &recs[i], nil
		}
	}
	return nil, errors.New("usage: the simulated record is not there")
}

// fitsInDay refuses a use that would take a day's total past what an
// amount can hold.
func fitsInDay(ctx context.Context, tx *store.Tx, id string, day int64, country, roaming string, use amounts) error {
	var have amounts
	err := tx.QueryRow(ctx, `SELECT data_bytes, voice_seconds, sms_messages FROM usage_days
		WHERE subscription_id = ? AND day = ? AND country = ? AND roaming = ?`, id, day, country, roaming).Scan(&have[iData], &have[iVoice], &have[iSMS])
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	for i, name := range []string{"data", "voice", "sms"} {
		if have[i] > 1<<62-use[i] {
			return errs.Invalid("amountOverflow", "The day's %s total would overflow.", name)
		}
	}
	return nil
}
