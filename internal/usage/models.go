package usage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Traffic models a test line can be given: what it uses per day on
// average (each day draws between half and one and a half times this).
// typical fills a 5 GB month about 90 % of the way; heavy passes it.
var Models = map[string]Daily{
	"light":   {DataBytes: 20_000_000, VoiceSeconds: 120, SMSMessages: 1},
	"typical": {DataBytes: 150_000_000, VoiceSeconds: 600, SMSMessages: 3},
	"heavy":   {DataBytes: 1_000_000_000, VoiceSeconds: 3600, SMSMessages: 10},
}

// Model names beyond Models.
const (
	ModelCustom = "custom"
	ModelNone   = "none"
)

// Daily amounts of a traffic model.
type Daily struct {
	DataBytes    int64 `json:"data"`
	VoiceSeconds int64 `json:"voice"`
	SMSMessages  int64 `json:"sms"`
}

// TrafficModel is the API representation of a line's traffic model.
type TrafficModel struct {
	Object       string    `json:"object"`
	Subscription string    `json:"subscription"`
	Model        string    `json:"model"`
	Daily        *Daily    `json:"daily"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// ModelInput is the body of POST /testing/.../trafficModel: a named model,
// or explicit daily amounts (model "custom" or left out), or model "none"
// to stop.
type ModelInput struct {
	Model optional.Value[string] `json:"model"`
	Daily optional.Value[struct {
		Data  optional.Value[int64] `json:"data"`
		Voice optional.Value[int64] `json:"voice"`
		SMS   optional.Value[int64] `json:"sms"`
	}] `json:"daily"`
}

func (in ModelInput) build() (string, *Daily, error) {
	name := in.Model.Value
	if in.Model.Null || (!in.Model.Set && !in.Daily.Set) {
		return "", nil, errs.Invalid("fieldRequired", "Give model (light, typical, heavy or none) or daily amounts.")
	}
	if !in.Daily.Present() {
		if in.Daily.Null {
			return "", nil, errs.Invalid("fieldNotNullable", "daily must not be null.")
		}
		if name == ModelNone {
			return name, nil, nil
		}
		d, ok := Models[name]
		if !ok {
			return "", nil, errs.Invalid("invalidEnumValue", "model must be one of light, typical, heavy, custom or none; got %q.", name)
		}
		return name, &d, nil
	}
	if in.Model.Set && name != ModelCustom {
		return "", nil, errs.Invalid("trafficModelInvalid", "daily goes with model \"custom\" (or no model); got %q.", name)
	}
	si := SimulateInput{Data: in.Daily.Value.Data, Voice: in.Daily.Value.Voice, SMS: in.Daily.Value.SMS}
	a, err := si.amounts("daily.")
	if err != nil {
		return "", nil, err
	}
	return ModelCustom, &Daily{DataBytes: a[iData], VoiceSeconds: a[iVoice], SMSMessages: a[iSMS]}, nil
}

// traffic is the payload of a traffic call.
type traffic struct {
	ICCID string                `json:"iccid"`
	At    time.Time             `json:"at"`
	Daily *network.DailyTraffic `json:"daily"`
}

// SetModel gives a test line a traffic model from now on and makes the
// project read that provider's feed, so that advancing the clock brings
// the modelled usage in through the feed like any carrier's.
func SetModel(ctx context.Context, tx *store.Tx, project, id string, in ModelInput, now time.Time) (*TrafficModel, error) {
	name, daily, err := in.build()
	if err != nil {
		return nil, err
	}
	p, err := projects.Get(ctx, tx, project)
	if err != nil {
		return nil, err
	}
	if !p.IsTest() {
		return nil, errs.PermissionDenied("liveProjectUsage", "Project %q is a live project: traffic models are for test projects.", project)
	}
	l, err := subscriptions.LineOf(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if l.Status == subscriptions.StatusEnded || l.ICCID == "" {
		return nil, errs.Conflict("subscriptionNotModelable", "Subscription %s is %s: it has no line to model.", id, l.Status)
	}
	out := &TrafficModel{Object: "trafficModel", Subscription: id, Model: name, Daily: daily, UpdatedAt: now}
	var d Daily
	if daily != nil {
		d = *daily
	}
	_, err = tx.Exec(ctx, `INSERT INTO usage_models (subscription_id, project_id, model, data_bytes, voice_seconds, sms_messages, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subscription_id) DO UPDATE SET model = excluded.model, data_bytes = excluded.data_bytes,
		voice_seconds = excluded.voice_seconds, sms_messages = excluded.sms_messages, updated_at = excluded.updated_at`,
		id, project, name, d.DataBytes, d.VoiceSeconds, d.SMSMessages, store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("usage: model of %s: %w", id, err)
	}
	var nd *network.DailyTraffic
	if daily != nil {
		nd = &network.DailyTraffic{DataBytes: d.DataBytes, VoiceSeconds: d.VoiceSeconds, SMSMessages: d.SMSMessages}
	}
	if _, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: project, Kind: OpTraffic, Subject: l.SIMID, Target: l.Provider,
		Payload: traffic{ICCID: l.ICCID, At: now, Daily: nd}, DueAt: now}); err != nil {
		return nil, err
	}
	return out, Watch(ctx, tx, project, l.Provider, now)
}

func (s *Service) performTraffic(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	var p traffic
	if err := op.Decode(&p); err != nil {
		return nil, outbound.PermanentError(err)
	}
	carrier, err := s.Carriers.Provider(op.Target)
	if err != nil {
		return nil, outbound.PermanentError(err)
	}
	tm, ok := carrier.(network.TrafficModeler)
	if !ok {
		return nil, outbound.PermanentError(fmt.Errorf("provider %s takes no traffic models", op.Target))
	}
	return nil, tm.SetTraffic(ctx, network.TrafficRequest{Project: op.Project, ICCID: p.ICCID, At: p.At, Daily: p.Daily})
}

// RestoreModels gives the providers that keep traffic models in this
// process (the in-process simulator, see network.TrafficRestorer) the
// stored models of lines still running, when `cellgate serve` starts:
// without it a restart stops every modelled line's usage. It returns how
// many lines it restored.
func (s *Service) RestoreModels(ctx context.Context, q store.Querier) (int, error) {
	type stored struct {
		req      network.TrafficRestore
		provider string
	}
	rows, err := store.All(ctx, q, func(sc store.Scanner) (stored, error) {
		var (
			x         stored
			d         Daily
			name      string
			updated   int64
			phone     sql.NullString
			activated sql.NullInt64
		)
		err := sc.Scan(&x.req.Project, &name, &d.DataBytes, &d.VoiceSeconds, &d.SMSMessages, &updated,
			&x.req.ICCID, &x.provider, &phone, &activated)
		x.req.At, x.req.PhoneNumber = store.Time(updated), phone.String
		if name != ModelNone {
			x.req.Daily = &network.DailyTraffic{DataBytes: d.DataBytes, VoiceSeconds: d.VoiceSeconds, SMSMessages: d.SMSMessages}
		}
		if activated.Valid {
			x.req.ActiveFrom = store.Time(activated.Int64)
		}
		return x, err
	}, `SELECT m.project_id, m.model, m.data_bytes, m.voice_seconds, m.sms_messages, m.updated_at,
		sims.iccid, sims.provider, s.phone_number, s.activated_at
		FROM usage_models m JOIN subscriptions s ON s.id = m.subscription_id JOIN sims ON sims.id = s.sim_id
		WHERE s.status <> 'ended' ORDER BY m.subscription_id`)
	if err != nil {
		return 0, fmt.Errorf("usage: stored traffic models: %w", err)
	}
	n := 0
	for _, x := range rows {
		p, err := s.Carriers.Provider(x.provider)
		if err != nil {
			continue // a provider no longer configured
		}
		r, ok := p.(network.TrafficRestorer)
		if !ok {
			continue // an adapter keeps its own models
		}
		if err := r.RestoreTraffic(ctx, x.req); err != nil {
			return n, fmt.Errorf("usage: restore the model of %s: %w", x.req.ICCID, err)
		}
		n++
	}
	return n, nil
}
