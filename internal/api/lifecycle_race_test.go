package api_test

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestCancelResumeRenewalRaceAtCutoff: clients cancel and resume one
// subscription as fast as they can while the clock moves through the cutoff
// and the renewal. Whatever the interleaving, every recorded transition is
// one the rules allow, and the final state agrees with the last of them.
func TestCancelResumeRenewalRaceAtCutoff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s := w.activeSub(w.plan(nil), w.user(nil), "auto")
		end := s.CurrentPeriod.End
		cutoff := end.Add(-time.Hour)
		next := end.AddDate(0, 1, 0)
		w.advanceTo(cutoff.Add(-3 * time.Second))

		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, 1))
				for i := 0; i < 400; i++ {
					select {
					case <-stop:
						return
					default:
					}
					action := "cancel"
					if rng.IntN(2) == 0 {
						action = "resume"
					}
					resp := w.Do(apitest.Request{Method: http.MethodPost, Path: w.P("/subscriptions/" + s.ID + "/" + action)})
					if resp.Status != http.StatusOK && resp.Status != http.StatusConflict {
						t.Errorf("%s answered %d: %s", action, resp.Status, resp.Body)
						return
					}
				}
			}(uint64(g))
		}
		for _, at := range []time.Time{cutoff.Add(-time.Second), cutoff, cutoff.Add(time.Second), end.Add(-time.Second), end, end.Add(time.Second)} {
			time.Sleep(20 * time.Millisecond)
			w.advanceTo(at)
		}
		close(stop)
		wg.Wait()
		checkTransitions(t, w.eventsOf(s.ID), end, next)
	})
}

// checkTransitions replays a subscription's events against the rules of
// cancel, resume, renewal and the cutoff.
func checkTransitions(t *testing.T, evs []recordedEvent, end, next time.Time) {
	t.Helper()
	var (
		status   = "pending"
		endsAt   *time.Time
		renewals int
	)
	for _, e := range evs {
		var d sub
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		periodEnd := end
		if renewals > 0 {
			periodEnd = next
		}
		cutoff := periodEnd.Add(-time.Hour)
		switch e.Type {
		case "com.gigs.subscription.created":
		case "com.gigs.subscription.activated":
			status = "active"
		case "com.gigs.subscription.canceled":
			want := periodEnd
			if !e.Time.Before(cutoff) {
				want = periodEnd.AddDate(0, 1, 0)
			}
			if status != "active" || endsAt != nil || d.EndedAt == nil || !d.EndedAt.Equal(want) {
				t.Fatalf("cancel at %s: state %s/%v, endedAt %v, want %s", e.Time, status, endsAt, d.EndedAt, want)
			}
			endsAt = d.EndedAt
		case "com.gigs.subscription.resumed":
			if endsAt == nil || !e.Time.Before(endsAt.Add(-time.Hour)) {
				t.Fatalf("resume at %s of a subscription ending at %v", e.Time, endsAt)
			}
			endsAt = nil
		case "com.gigs.subscription.renewed":
			if !e.Time.Equal(end) || (endsAt != nil && endsAt.Equal(end)) || renewals > 0 {
				t.Fatalf("renewal at %s with end %v after %d renewals", e.Time, endsAt, renewals)
			}
			renewals++
		case "com.gigs.subscription.ended":
			if endsAt == nil || !endsAt.Equal(end) || !e.Time.Equal(end) {
				t.Fatalf("ended at %s, scheduled end %v", e.Time, endsAt)
			}
			status = "ended"
		default:
			t.Fatalf("unexpected event %s", e.Type)
		}
		if d.Status != status {
			t.Fatalf("%s carries status %s, replay says %s", e.Type, d.Status, status)
		}
	}
	if status == "active" && renewals != 1 {
		t.Fatalf("active after the period end with %d renewals", renewals)
	}
}
