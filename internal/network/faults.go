package network

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Fault disturbs the calls a carrier answers, for tests: fail the next
// Count calls of an operation with a code, add latency, or hang until the
// caller gives up.
type Fault struct {
	// Operation is one of Operations; "" disturbs every operation.
	Operation string `json:"operation"`
	// Project limits the fault to one project's calls; "" is every project.
	Project string `json:"project,omitempty"`
	// Count is how many calls it affects; 0 means until cleared.
	Count int `json:"count"`
	// Code is the error answered (retryable if the code is); "" answers
	// normally after the latency.
	Code    string   `json:"code,omitempty"`
	Message string   `json:"message,omitempty"`
	Latency Duration `json:"latency,omitempty"`
	// Hang holds the call until the caller's context ends.
	Hang bool `json:"hang,omitempty"`

	usedUp bool
}

var codePattern = regexp.MustCompile(`^[a-z][a-zA-Z]{0,63}$`)

// Check rejects a fault that would do nothing or names no operation.
func (f Fault) Check() error {
	switch {
	case f.Operation != "" && !slices.Contains(Operations, f.Operation):
		return fmt.Errorf("operation %q is not one of %v", f.Operation, Operations)
	case f.Count < 0:
		return fmt.Errorf("count must be 0 (until cleared) or more")
	case f.Code != "" && !codePattern.MatchString(f.Code):
		return fmt.Errorf("code %q is not a code such as \"unavailable\"", f.Code)
	case f.Code == "" && f.Latency == 0 && !f.Hang:
		return fmt.Errorf("a fault needs a code, a latency or hang")
	case time.Duration(f.Latency) > 5*time.Minute:
		return fmt.Errorf("latency is at most 5m")
	}
	return nil
}

// FaultInjector is a provider that takes faults: the simulator, and an
// HTTP adapter that serves POST /faults.
type FaultInjector interface {
	InjectFault(ctx context.Context, f Fault) error
	// ClearFaults removes the faults of a project ("" = all faults).
	ClearFaults(ctx context.Context, project string) error
}

// InjectFault adds a fault.
func (s *Simulator) InjectFault(_ context.Context, f Fault) error {
	if err := f.Check(); err != nil {
		return Errorf(CodeInvalidRequest, "fault: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	return nil
}

// ClearFaults removes the project's faults, or all with "".
func (s *Simulator) ClearFaults(_ context.Context, project string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = slices.DeleteFunc(s.faults, func(f *Fault) bool { return project == "" || f.Project == project })
	return nil
}

// applyFaults uses up the faults matching a call, sleeps their latency
// and answers the first one's error.
func (s *Simulator) applyFaults(ctx context.Context, op, project string) error {
	s.mu.Lock()
	var (
		latency time.Duration
		hang    bool
		fail    *Error
	)
	for _, f := range s.faults {
		if (f.Operation != "" && f.Operation != op) || (f.Project != "" && f.Project != project) {
			continue
		}
		latency += time.Duration(f.Latency)
		hang = hang || f.Hang
		if f.Code != "" && fail == nil {
			msg := f.Message
			if msg == "" {
				msg = "injected fault"
			}
			fail = &Error{Code: f.Code, Message: msg, Retryable: retryableCodes[f.Code]}
		}
		if f.Count > 0 {
			f.Count--
			f.usedUp = f.Count == 0
		}
	}
	s.faults = slices.DeleteFunc(s.faults, func(f *Fault) bool { return f.usedUp })
	s.mu.Unlock()
	if hang {
		<-ctx.Done()
		return Errorf(CodeTimeout, "the carrier did not answer (injected hang)")
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Errorf(CodeTimeout, "the carrier did not answer in time (injected latency)")
		case <-t.C:
		}
	}
	if fail != nil {
		return fail
	}
	return nil
}
