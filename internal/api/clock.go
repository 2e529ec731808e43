package api

import (
	"time"

	"cellgate/internal/clock"
	"cellgate/internal/errs"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/timeline"
)

// testClock is the API representation of a project's clock: stored for
// a test project, the wall clock for a live one.
type testClock struct {
	Object string    `json:"object"`
	Type   string    `json:"type"`
	Now    time.Time `json:"now"`
}

func (s *Server) getClock(rq *request) (any, error) {
	if _, err := parseQuery(rq.Request); err != nil {
		return nil, err
	}
	p, err := projects.Get(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	return &testClock{Object: "testClock", Type: string(p.Type), Now: now}, nil
}

// advanceResult is the clock after an advance, with the timers that failed
// on the way and are still failing: retrying later, or dead.
type advanceResult struct {
	*testClock
	TimerFailures []timeline.View `json:"timerFailures"`
}

// advanceInput is the body of POST .../clock/advance: exactly one of to
// (an RFC 3339 time) or by (a step such as "36h", "1mo" or "P1M").
type advanceInput struct {
	To optional.Value[string] `json:"to"`
	By optional.Value[string] `json:"by"`
}

// MaxAdvance bounds one advance (timeline.MaxAdvance).
const MaxAdvance = timeline.MaxAdvance

// advanceClock runs every timer due up to the target before it answers.
// It manages its own transactions, one per batch of timers, so it runs
// outside the write wrapper (outsideTx); its Idempotency-Key response is
// stored after the advance completes.
func (s *Server) advanceClock(rq *request) (any, error) {
	// Every check comes before the clock moves: the query first.
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in advanceInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	if in.To.Set == in.By.Set || in.To.Null || in.By.Null {
		return nil, errs.Invalid("clockAdvanceInvalid", "Give exactly one of to (an RFC 3339 time) or by (a step such as \"36h\", \"1mo\" or \"P1M\").")
	}
	now, err := projects.Now(rq.ctx, s.db, rq.project)
	if err != nil {
		return nil, err
	}
	var target time.Time
	if in.To.Set {
		if target, err = clock.ParseTime(in.To.Value); err != nil {
			return nil, errs.Invalid("clockAdvanceInvalid", "Field to: %s.", err)
		}
	} else {
		step, err := clock.ParseStep(in.By.Value)
		if err != nil {
			return nil, errs.Invalid("clockAdvanceInvalid", "Field by must be %s; got %q.", clock.StepForms, in.By.Value)
		}
		target = step.From(now)
	}
	if target.Sub(now) > MaxAdvance {
		return nil, errs.Invalid("clockAdvanceInvalid", "One advance may move the clock at most %s.", MaxAdvance)
	}
	// Failing timers do not fail the advance: the clock has moved and
	// the answer says which timers are failing (docs/time.md).
	rep, err := s.platform.Timeline.AdvanceReport(rq.ctx, rq.project, target.UTC())
	if err != nil {
		return nil, err
	}
	clock, err := s.getClock(rq)
	if err != nil {
		return nil, err
	}
	out := advanceResult{testClock: clock.(*testClock), TimerFailures: make([]timeline.View, len(rep.Failures))}
	for i, t := range rep.Failures {
		out.TimerFailures[i] = t.View()
	}
	return out, nil
}
