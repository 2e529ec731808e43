package network_test

import (
	"context"
	"testing"
	"time"

	"cellgate/internal/network"
)

// TestModelledLineCarriesNoDataWhileRestrictedAndLessWhileThrottled: a
// modelled line reports its model's use every day; a restricted line has
// no data allowance, so its records carry none (voice and SMS go on); a
// throttled line carries at most what its bandwidth lets through. In a
// project with models, a line without one uses nothing.
func TestModelledLineCarriesNoDataWhileRestrictedAndLessWhileThrottled(t *testing.T) {
	ctx := context.Background()
	s := simulator(t, "test", 3)
	day := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	meta := func(key string, at time.Time) network.Meta { return network.Meta{Key: key, Project: "acme", Now: at} }
	lines := []string{"8901260000000000001", "8901260000000000002"}
	for i, iccid := range lines {
		if _, err := s.Activate(ctx, network.LineRequest{Meta: meta("a"+iccid, day.Add(-time.Hour)), ICCID: iccid}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			err := s.SetTraffic(ctx, network.TrafficRequest{Project: "acme", ICCID: iccid, At: day,
				Daily: &network.DailyTraffic{DataBytes: 1_000_000_000, VoiceSeconds: 600, SMSMessages: 10}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Restrict(ctx, network.LineRequest{Meta: meta("r", day.Add(24*time.Hour)), ICCID: lines[0]}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, network.LineRequest{Meta: meta("u", day.Add(48*time.Hour)), ICCID: lines[0]}); err != nil {
		t.Fatal(err)
	}
	if err := s.Throttle(ctx, network.ThrottleRequest{Meta: meta("t", day.Add(48*time.Hour)), ICCID: lines[0], BitsPerSecond: 8000}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Usage(ctx, network.UsageRequest{Meta: meta("", day.Add(3*24*time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	got := map[time.Time]network.UsageRecord{}
	for _, r := range b.Records {
		if r.ICCID != lines[0] {
			t.Fatalf("a line without a model used %+v", r)
		}
		got[r.Start] = r
	}
	normal, restricted, throttled := got[day], got[day.Add(24*time.Hour)], got[day.Add(48*time.Hour)]
	switch {
	case len(got) != 3:
		t.Fatalf("records = %+v", b.Records)
	case normal.DataBytes < 500_000_000 || normal.DataBytes > 1_500_000_000 || normal.VoiceSeconds == 0:
		t.Fatalf("a modelled day = %+v", normal)
	case restricted.DataBytes != 0 || restricted.VoiceSeconds == 0:
		t.Fatalf("a restricted day = %+v", restricted)
	case throttled.DataBytes > 8000/8*24*3600:
		t.Fatalf("a throttled day = %+v", throttled)
	}
}
