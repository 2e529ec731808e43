package network

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// DailyTraffic is what a modelled line uses per day, before the carrier's
// over-reporting. Test projects give lines a traffic model so that moving
// their clock makes usage appear through the same feed as real usage.
type DailyTraffic struct {
	DataBytes    int64 `json:"dataBytes"`
	VoiceSeconds int64 `json:"voiceSeconds"`
	SMSMessages  int64 `json:"smsMessages"`
}

// TrafficRequest sets a line's traffic from At on; a nil Daily goes back
// to the profile's usage.
type TrafficRequest struct {
	Project string        `json:"project"`
	ICCID   string        `json:"iccid"`
	At      time.Time     `json:"at"`
	Daily   *DailyTraffic `json:"daily"`
}

// TrafficModeler is a provider that takes traffic models: the simulator,
// and an HTTP adapter that serves POST /traffic. Real carriers are not.
type TrafficModeler interface {
	SetTraffic(ctx context.Context, req TrafficRequest) error
}

type trafficChange struct {
	at    time.Time
	daily *DailyTraffic
}

type throttleChange struct {
	at  time.Time
	bps int64
}

// valueAt finds the last change at or before t in a time-ordered list.
func valueAt[T any](changes []T, at func(T) time.Time, t time.Time) (T, bool) {
	i := sort.Search(len(changes), func(i int) bool { return at(changes[i]).After(t) })
	var zero T
	if i == 0 {
		return zero, false
	}
	return changes[i-1], true
}

// insertAt keeps changes in time order; a change at the same time replaces
// the earlier one.
func insertAt[T any](changes []T, at func(T) time.Time, c T) []T {
	i := sort.Search(len(changes), func(i int) bool { return !at(changes[i]).Before(at(c)) })
	if i < len(changes) && at(changes[i]).Equal(at(c)) {
		changes[i] = c
		return changes
	}
	changes = append(changes, c)
	copy(changes[i+1:], changes[i:])
	changes[i] = c
	return changes
}

// SetTraffic gives a line a traffic model from req.At on. A line the
// simulator does not know yet is remembered for when it activates. From
// its first model on, a project's lines without a model use nothing: a
// test project sees only the usage it modelled.
func (s *Simulator) SetTraffic(_ context.Context, req TrafficRequest) error {
	if err := checkICCID(req.ICCID); err != nil {
		return err
	}
	if d := req.Daily; d != nil && (d.DataBytes < 0 || d.VoiceSeconds < 0 || d.SMSMessages < 0) {
		return Errorf(CodeInvalidRequest, "traffic amounts must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.lines[req.ICCID]
	if !ok {
		l = &line{project: req.Project}
		s.lines[req.ICCID] = l
	}
	if s.modelledProjects == nil {
		s.modelledProjects = map[string]bool{}
	}
	s.modelledProjects[req.Project] = true
	l.traffic = insertAt(l.traffic, func(c trafficChange) time.Time { return c.at }, trafficChange{at: req.At, daily: req.Daily})
	return nil
}

// Throttle caps the line's data from Now: the feed then carries at most
// what the bandwidth lets through in an interval.
func (s *Simulator) Throttle(ctx context.Context, req ThrottleRequest) error {
	_, err := call(ctx, s, OpThrottle, req.Meta, req, req.ICCID, func() (struct{}, error) {
		if req.BitsPerSecond < 0 {
			return struct{}{}, Errorf(CodeInvalidRequest, "bitsPerSecond must not be negative")
		}
		l, err := s.line(req.Meta, req.ICCID, req.PhoneNumber)
		if err != nil {
			return struct{}{}, err
		}
		l.throttles = insertAt(l.throttles, func(c throttleChange) time.Time { return c.at }, throttleChange{at: req.Now, bps: req.BitsPerSecond})
		return struct{}{}, nil
	})
	return err
}

// modelledAt is the model of a line at w, if its project uses models.
func (s *Simulator) modelledAt(l *line, w time.Time) (*DailyTraffic, bool) {
	if !s.modelledProjects[l.project] {
		return nil, false
	}
	m, _ := valueAt(l.traffic, func(c trafficChange) time.Time { return c.at }, w)
	return m.daily, true
}

// modelled draws one interval's use of a modelled line: the daily amount
// times a day factor between 0.5 and 1.5, spread over the day's intervals,
// rounded up or down at random so small daily counts (a few SMS) add up.
func (s *Simulator) modelled(d *DailyTraffic, interval time.Duration, iccid, key string, w time.Time) (data, voice, sms int64) {
	day := strconv.FormatInt(w.Truncate(24*time.Hour).Unix(), 10)
	share := (0.5 + s.unit("dayFactor", iccid, day)) * float64(interval) / float64(24*time.Hour)
	amount := func(daily int64, what string) int64 {
		x := float64(daily) * share
		n := math.Floor(x)
		if s.unit(what, iccid, key) < x-n {
			n++
		}
		return int64(n)
	}
	return amount(d.DataBytes, "data"), amount(d.VoiceSeconds, "voice"), amount(d.SMSMessages, "sms")
}

// capped is what a throttle lets through in an interval.
func capped(data int64, bps int64, interval time.Duration) int64 {
	if bps <= 0 {
		return data
	}
	limit := int64(float64(bps) / 8 * interval.Seconds())
	return min(data, limit)
}

// SetTraffic asks the adapter to model a line's traffic (POST /traffic);
// adapters of real carriers answer 404 operationNotSupported.
func (h *HTTPProvider) SetTraffic(ctx context.Context, req TrafficRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("network: traffic: %w", err)
	}
	return h.post(ctx, "/traffic", "", body, nil)
}

// TrafficRestore is a modelled line as cellgate stored it, for a
// simulator that restarted: the line, in service from ActiveFrom, and its
// current model.
type TrafficRestore struct {
	TrafficRequest
	PhoneNumber string
	ActiveFrom  time.Time
}

// TrafficRestorer is a provider whose traffic models live in cellgate's
// process and are lost when it restarts: the in-process simulator.
type TrafficRestorer interface {
	RestoreTraffic(ctx context.Context, req TrafficRestore) error
}

// RestoreTraffic gives a restarted simulator a modelled line back: the
// line in service from ActiveFrom, unless it knows the line already, and
// its model from At on. What the line went through before the restart
// (restrictions, earlier models) stays forgotten; the feed's cursor has
// passed that usage already.
func (s *Simulator) RestoreTraffic(ctx context.Context, req TrafficRestore) error {
	if err := s.SetTraffic(ctx, req.TrafficRequest); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lines[req.ICCID]
	if len(l.changes) == 0 && !req.ActiveFrom.IsZero() {
		l.phone = req.PhoneNumber
		l.set(req.ActiveFrom, lineActive)
	}
	return nil
}
