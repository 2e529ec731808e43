package timeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/timeline"
)

// flaky is a timer kind registered for the test like a production kind:
// its work fails while fail says so, and every run is noted.
type flaky struct {
	runs []time.Time
	fail func(run int) bool
}

func (f *flaky) handlers() timeline.Handlers {
	return timeline.Handlers{"test.flaky": func(ctx context.Context, tx *store.Tx, tm timeline.Timer, now time.Time) error {
		f.runs = append(f.runs, now)
		if f.fail(len(f.runs)) {
			return errors.New("carrier unreachable")
		}
		return nil
	}}
}

func newRunner(db *store.DB, h timeline.Handlers) *timeline.Runner {
	return &timeline.Runner{DB: db, Handlers: h, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// offsets turns run times into offsets from base.
func offsets(base time.Time, at []time.Time) []time.Duration {
	out := make([]time.Duration, len(at))
	for i, a := range at {
		out[i] = a.Sub(base)
	}
	return out
}

// TestFailingTimerRunsAgainOnTheBackoffSchedule: a timer whose work fails
// twice runs again one, then two minutes after each failure (on the
// project's clock), every failure counted with its error, and once it
// succeeds it is gone.
func TestFailingTimerRunsAgainOnTheBackoffSchedule(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "acme", projects.TypeTest)
		f := &flaky{fail: func(run int) bool { return run <= 2 }}
		r := newRunner(db, f.handlers())
		due := t0.Add(time.Hour)
		schedule(t, db, "acme", "test.flaky", "sub_1", due)
		rep, err := r.AdvanceReport(ctx, "acme", due.Add(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Failures) != 1 {
			t.Fatalf("failures after the first run: %+v", rep.Failures)
		}
		v := rep.Failures[0].View()
		if v.Status != timeline.StatusRetrying || v.Attempts != 1 || *v.LastError == "" || !v.DueAt.Equal(due.Add(time.Minute)) || !v.FailedAt.Equal(due) {
			t.Fatalf("after one failure: %+v", v)
		}
		pending, _ := timeline.Pending(ctx, db, "sub_1")
		if len(pending) != 1 || pending[0].Attempts != 1 || pending[0].LastError == "" {
			t.Fatalf("stored timer after one failure: %+v", pending)
		}
		if now, _ := projects.Now(ctx, db, "acme"); !now.Equal(due.Add(30 * time.Second)) {
			t.Fatalf("clock = %s, want the target although a timer failed", now)
		}
		rep, err = r.AdvanceReport(ctx, "acme", due.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(offsets(due, f.runs)), fmt.Sprint([]time.Duration{0, time.Minute, 3 * time.Minute}); got != want {
			t.Fatalf("runs at %s after due, want %s", got, want)
		}
		if len(rep.Failures) != 0 || rep.Ran != 1 {
			t.Fatalf("report after the success: ran %d, failures %+v", rep.Ran, rep.Failures)
		}
		if pending, _ := timeline.Pending(ctx, db, "sub_1"); len(pending) != 0 {
			t.Fatalf("timer left after its work succeeded: %+v", pending)
		}
	})
}

// TestTimerThatAlwaysFailsEndsDead: after MaxAttempts runs on the backoff
// schedule the timer is dead, with its event and metrics; the advance
// still reaches its target, later advances run other work, and an
// operator can retry the dead timer (it runs again) or drop it.
func TestTimerThatAlwaysFailsEndsDead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "acme", projects.TypeTest)
		broken := true
		f := &flaky{fail: func(int) bool { return broken }}
		h := f.handlers()
		h["test.fire"] = func(ctx context.Context, tx *store.Tx, tm timeline.Timer, now time.Time) error { return nil }
		r := newRunner(db, h)
		reg := prometheus.NewRegistry()
		r.Register(reg)
		due := t0.Add(time.Hour)
		schedule(t, db, "acme", "test.flaky", "sub_1", due)
		schedule(t, db, "acme", "test.fire", "sub_2", due.Add(12*time.Hour))
		rep, err := r.AdvanceReport(ctx, "acme", due.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var want []time.Duration
		var at time.Duration
		for n := 1; n <= timeline.MaxAttempts; n++ {
			want = append(want, at)
			at += timeline.Backoff(n)
		}
		if got := offsets(due, f.runs); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("runs at %v after due, want %v", got, want)
		}
		if rep.Ran != 1 || len(rep.Failures) != 1 {
			t.Fatalf("report: ran %d (want the other timer), failures %+v", rep.Ran, rep.Failures)
		}
		dead := rep.Failures[0]
		v := dead.View()
		if v.Status != timeline.StatusDead || v.Attempts != timeline.MaxAttempts || v.DueAt != nil || !v.DeadAt.Equal(due.Add(want[len(want)-1])) {
			t.Fatalf("dead timer: %+v", v)
		}
		var events int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE project_id = 'acme' AND type = ? AND subject = ? AND time = ?`,
			timeline.EventFailed, dead.ID, store.Micros(*v.DeadAt)).Scan(&events); err != nil || events != 1 {
			t.Fatalf("%s events for the dead timer: %d (%v), want 1", timeline.EventFailed, events, err)
		}
		if got := metric(t, reg, "cellgate_timer_failures_total"); got != timeline.MaxAttempts {
			t.Errorf("cellgate_timer_failures_total = %v, want %d", got, timeline.MaxAttempts)
		}
		if got := metric(t, reg, "cellgate_timers_dead"); got != 1 {
			t.Errorf("cellgate_timers_dead = %v, want 1", got)
		}
		// Advance and Go callers see the failure as an error; the clock moved.
		if now, _ := projects.Now(ctx, db, "acme"); !now.Equal(due.Add(24 * time.Hour)) {
			t.Fatalf("clock = %s, want the target", now)
		}

		// The dead timer holds nothing back: later advances run later work.
		schedule(t, db, "acme", "test.fire", "sub_3", due.Add(25*time.Hour))
		if rep, err := r.AdvanceReport(ctx, "acme", due.Add(26*time.Hour)); err != nil || rep.Ran != 1 || len(rep.Failures) != 0 {
			t.Fatalf("advance past a dead timer: ran %d, failures %+v, %v", rep.Ran, rep.Failures, err)
		}
		runs := len(f.runs)

		// Retry: due now on the project's clock, a fresh budget of runs.
		if _, err := retry(db, "tmr_missing"); !errs.IsKind(err, errs.KindNotFound) {
			t.Fatalf("retry a missing timer: %v", err)
		}
		back, err := retry(db, dead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bv := back.View(); bv.Status != timeline.StatusPending || !bv.DueAt.Equal(due.Add(26*time.Hour)) {
			t.Fatalf("retried timer: %+v", bv)
		}
		if got := metric(t, reg, "cellgate_timers_dead"); got != 0 {
			t.Errorf("cellgate_timers_dead after the retry = %v, want 0", got)
		}
		if _, err := retry(db, dead.ID); !errs.IsKind(err, errs.KindConflict) {
			t.Fatalf("retry a timer that is not dead: %v, want a conflict", err)
		}
		broken = false
		if rep, err := r.AdvanceReport(ctx, "acme", due.Add(26*time.Hour)); err != nil || rep.Ran != 1 || len(f.runs) != runs+1 {
			t.Fatalf("advance after the retry: ran %d, runs %d, %v", rep.Ran, len(f.runs)-runs, err)
		}

		// Drop: a dead timer is deleted and never runs.
		broken = true
		schedule(t, db, "acme", "test.flaky", "sub_4", due.Add(27*time.Hour))
		_, err = r.Advance(ctx, "acme", due.Add(40*time.Hour))
		if !timeline.IsFailed(err) {
			t.Fatalf("Advance with a timer dying on the way: %v, want the failures", err)
		}
		failed, err := timeline.Failed(ctx, db, "acme", true)
		if err != nil || len(failed) != 1 || failed[0].Subject != "sub_4" {
			t.Fatalf("dead timers: %+v, %v", failed, err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := timeline.Drop(ctx, tx, failed[0].ID); return err }); err != nil {
			t.Fatal(err)
		}
		if pending, _ := timeline.Pending(ctx, db, "sub_4"); len(pending) != 0 {
			t.Fatalf("dropped timer still there: %+v", pending)
		}
		if got := metric(t, reg, "cellgate_timers_dead"); got != 0 {
			t.Errorf("cellgate_timers_dead after the drop = %v, want 0", got)
		}
	})
}

func retry(db *store.DB, id string) (timeline.Timer, error) {
	var out timeline.Timer
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = timeline.Retry(context.Background(), tx, id)
		return err
	})
	return out, err
}

// TestLiveTimerFailureIsPutOff: the live worker records a failed timer and
// runs it again only after its backoff, not on every poll.
func TestLiveTimerFailureIsPutOff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		newProject(t, db, "live", projects.TypeLive)
		// The first run fails in the batch and once more alone (a failed
		// batch runs again one timer per transaction); that is one failed
		// attempt.
		f := &flaky{fail: func(run int) bool { return run <= 2 }}
		r := newRunner(db, f.handlers())
		schedule(t, db, "live", "test.flaky", "sub_1", t0)
		for _, step := range []struct {
			at   time.Duration
			runs int
		}{{0, 2}, {30 * time.Second, 2}, {time.Minute, 3}, {2 * time.Minute, 3}} {
			if _, err := r.RunDue(ctx, t0.Add(step.at)); err != nil {
				t.Fatal(err)
			}
			if len(f.runs) != step.runs {
				t.Fatalf("at +%s: %d runs, want %d", step.at, len(f.runs), step.runs)
			}
			if step.at == 0 {
				p, _ := timeline.Pending(ctx, db, "sub_1")
				if len(p) != 1 || p[0].Attempts != 1 || !p[0].DueAt.Equal(t0.Add(time.Minute)) || p[0].LastError == "" {
					t.Fatalf("after the failure: %+v", p)
				}
			}
		}
		if p, _ := timeline.Pending(ctx, db, "sub_1"); len(p) != 0 {
			t.Fatalf("timer left after it succeeded: %+v", p)
		}
	})
}

// metric reads one unlabelled gauge or the sum of a counter's series.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		sum := 0.0
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return sum
	}
	return 0
}
