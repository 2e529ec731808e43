package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// usageRecord and usageBalance are the API's views.
type usageRecord struct {
	Data      int64     `json:"data"`
	Voice     int64     `json:"voice"`
	SMS       int64     `json:"sms"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	UpdatedAt time.Time `json:"updatedAt"`
	Labels    struct {
		Country, Roaming, Subscription string
	} `json:"labels"`
}

// Roaming is the record's roaming label.
func (r usageRecord) Roaming() string { return r.Labels.Roaming }

type usageBalance struct {
	ID        string `json:"id"`
	Allowance struct {
		Type  string `json:"type"`
		Limit *int64 `json:"limit"`
	} `json:"allowance"`
	Source struct {
		Type               string  `json:"type"`
		SubscriptionPeriod int     `json:"subscriptionPeriod"`
		SubscriptionAddon  *string `json:"subscriptionAddon"`
	} `json:"source"`
	Unit             string     `json:"unit"`
	Used             int64      `json:"used"`
	Limit            *int64     `json:"limit"`
	Remaining        *int64     `json:"remaining"`
	UsedPercent      *int64     `json:"usedPercent"`
	RemainingPercent *int64     `json:"remainingPercent"`
	UsableFrom       *time.Time `json:"usableFrom"`
	UsableUntil      *time.Time `json:"usableUntil"`
}

type usageNote struct {
	Type                string    `json:"type"`
	ThresholdPercentage *int64    `json:"thresholdPercentage"`
	Usage               *int64    `json:"usage"`
	UsageAt             time.Time `json:"usageAt"`
	Allowance           *struct {
		Type string `json:"type"`
	} `json:"allowance"`
	BandwidthBitsPerSecond *int64 `json:"bandwidthBitsPerSecond"`
}

func (w *world) simulate(id string, body map[string]any) usageRecord {
	w.t.Helper()
	var r usageRecord
	w.Post("/testing/projects/"+w.Project+"/subscriptions/"+id+"/usage", body).Expect(http.StatusOK).Decode(&r)
	return r
}

func (w *world) usage(id, query string) []usageRecord {
	w.t.Helper()
	var l struct{ Items []usageRecord }
	w.Get(w.P("/subscriptions/" + id + "/usage" + query)).Expect(http.StatusOK).Decode(&l)
	return l.Items
}

func (w *world) balances(id string) []usageBalance {
	w.t.Helper()
	var l struct{ Items []usageBalance }
	w.Get(w.P("/subscriptions/" + id + "/usageBalances")).Expect(http.StatusOK).Decode(&l)
	return l.Items
}

// notes are the usage notifications about a subscription, oldest first.
func (w *world) notes(id string) []usageNote {
	w.t.Helper()
	var out []usageNote
	for _, e := range w.eventsOf(id) {
		if e.Type != "com.gigs.usageNotification.created" {
			continue
		}
		var n usageNote
		if err := json.Unmarshal(e.Data, &n); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func noteKinds(ns []usageNote) []string {
	var out []string
	for _, n := range ns {
		k := n.Type
		if n.ThresholdPercentage != nil {
			k += "/" + n.Allowance.Type + "/" + itoa(*n.ThresholdPercentage)
		}
		out = append(out, k)
	}
	return out
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestSimulatedUsageIsTheDaysAggregatePerCountry: simulated usage adds to
// the day's record of its country (the provider's home country unless
// given, another country is international roaming), sets firstUsageAt and
// announces the first use once.
func TestSimulatedUsageIsTheDaysAggregatePerCountry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		first := w.simulate(s.ID, map[string]any{"data": 1000, "voice": 60, "sms": 1})
		w.advance(time.Hour)
		home := w.simulate(s.ID, map[string]any{"data": 500, "voice": 0, "sms": 2})
		abroad := w.simulate(s.ID, map[string]any{"data": 7, "voice": 1, "sms": 0, "country": "CA"})
		day := w.now().Truncate(24 * time.Hour)
		if home.Data != 1500 || home.Voice != 60 || home.SMS != 3 || home.Labels.Country != "US" || home.Labels.Roaming != "none" ||
			!home.Start.Equal(day) || !home.End.Equal(day.Add(24*time.Hour)) || !home.UpdatedAt.After(first.UpdatedAt) || home.Labels.Subscription != s.ID {
			t.Fatalf("home record = %+v (first %+v)", home, first)
		}
		if abroad.Labels.Country != "CA" || abroad.Labels.Roaming != "international" || abroad.Data != 7 {
			t.Fatalf("abroad record = %+v", abroad)
		}
		if got := w.usage(s.ID, ""); len(got) != 2 || got[0].Labels.Country != "CA" || got[1].Data != 1500 {
			t.Fatalf("usage = %+v", got)
		}
		if got := w.sub(s.ID); got.FirstUsageAt == nil || !got.FirstUsageAt.Equal(*s.ActivatedAt) && got.FirstUsageAt.Before(*s.ActivatedAt) {
			t.Fatalf("firstUsageAt = %v", got.FirstUsageAt)
		}
		if got := noteKinds(w.notes(s.ID)); !slices.Equal(got, []string{"started"}) {
			t.Fatalf("notifications = %v", got)
		}
	})
}

// TestThresholdNotificationsFireOncePerBalance: 70, 90 and 100 % of each
// limited allowance notify once each (usageNotification thresholdExceeded
// and usageBalance.thresholdReached), however the usage arrives; an
// unlimited allowance never does.
func TestThresholdNotificationsFireOncePerBalance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(map[string]any{"allowances": map[string]any{"dataBytes": 1000, "voiceSeconds": nil, "smsMessages": 10}})
		s := w.activeSub(plan, w.user(nil), "auto")
		for _, use := range []map[string]any{
			{"data": 699, "voice": 100000, "sms": 0}, {"data": 1, "voice": 0, "sms": 0}, // 70 %
			{"data": 150, "voice": 0, "sms": 9}, // 85 %; SMS 70 and 90 at once
			{"data": 100, "voice": 0, "sms": 0}, // 95 %
			{"data": 600, "voice": 0, "sms": 5}, // 155 %: 100 % once
			{"data": 600, "voice": 0, "sms": 5},
		} {
			w.simulate(s.ID, use)
		}
		want := []string{"started", "thresholdExceeded/data/70", "thresholdExceeded/sms/70", "thresholdExceeded/sms/90",
			"thresholdExceeded/data/90", "thresholdExceeded/data/100", "thresholdExceeded/sms/100"}
		if got := noteKinds(w.notes(s.ID)); !slices.Equal(got, want) {
			t.Fatalf("notifications = %v, want %v", got, want)
		}
		bs := w.balances(s.ID)
		if len(bs) != 3 {
			t.Fatalf("balances = %+v", bs)
		}
		reached := 0
		for _, b := range bs {
			reached += len(w.eventsOf(b.ID))
		}
		if reached != 6 {
			t.Fatalf("usageBalance.thresholdReached events = %d, want 6", reached)
		}
		data, voice, sms := bs[0], bs[1], bs[2]
		if data.Allowance.Type != "data" || data.Used != 2150 || *data.Remaining != 0 || *data.UsedPercent != 100 || *data.RemainingPercent != 0 ||
			data.Unit != "bytes" || data.Source.Type != "subscriptionPeriod" || data.Source.SubscriptionPeriod != 1 ||
			!data.UsableFrom.Equal(s.CurrentPeriod.Start) || !data.UsableUntil.Equal(s.CurrentPeriod.End) {
			t.Fatalf("data balance = %+v", data)
		}
		if voice.Used != 100000 || voice.Limit != nil || voice.UsedPercent != nil || voice.Unit != "seconds" {
			t.Fatalf("voice balance = %+v", voice)
		}
		if sms.Used != 19 || *sms.Limit != 10 || sms.Unit != "messages" {
			t.Fatalf("sms balance = %+v", sms)
		}
		if again := w.balances(s.ID); again[0].ID != data.ID || again[2].ID != sms.ID {
			t.Fatalf("balance ids moved: %s %s", again[0].ID, data.ID)
		}
	})
}
