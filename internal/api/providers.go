package api

import (
	"errors"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/network"
	"cellgate/internal/projects"
)

// providerRoutes are the test helpers on providers: fault injection for a
// test project's own calls.
func (s *Server) providerRoutes() {
	// No transaction: a fault lives in the provider, not in the database.
	s.outsideTx("POST /testing/providers/{provider}/faults", s.injectFault)
	s.read("DELETE /testing/providers/{provider}/faults", s.clearFaults)
}

// faultInput is the body of POST /testing/providers/{provider}/faults.
type faultInput struct {
	Operation string `json:"operation"`
	Count     int    `json:"count"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Latency   string `json:"latency"`
	Hang      bool   `json:"hang"`
}

// providerFault is the API form of an injected fault.
type providerFault struct {
	Object    string `json:"object"`
	Provider  string `json:"provider"`
	Project   string `json:"project"`
	Operation string `json:"operation"`
	Count     int    `json:"count"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Latency   string `json:"latency"`
	Hang      bool   `json:"hang"`
}

// faultTarget checks that the caller's project is a test project (faults
// are test helpers; a live project never gets them) and finds the
// provider's fault switch.
func (s *Server) faultTarget(rq *request) (string, network.FaultInjector, error) {
	id := rq.PathValue("provider")
	carrier, err := s.platform.Carriers.Provider(id)
	if err != nil {
		return "", nil, errs.NotFound("provider", id)
	}
	if err := rq.noQuery(); err != nil {
		return "", nil, err
	}
	p, err := projects.Get(rq.ctx, s.db, rq.project)
	if err != nil {
		return "", nil, err
	}
	if !p.IsTest() {
		return "", nil, errs.PermissionDenied("liveProjectProviderFaults", "Project %q is a live project: only test projects inject provider faults.", p.ID)
	}
	fi, ok := carrier.(network.FaultInjector)
	if !ok {
		return "", nil, errs.Conflict("providerFaultsNotSupported", "The provider %q takes no faults.", id)
	}
	return id, fi, nil
}

// injectFault disturbs the provider's answers to this project's calls
// only, so one test project cannot break another's carrier.
func (s *Server) injectFault(rq *request) (any, error) {
	id, fi, err := s.faultTarget(rq)
	if err != nil {
		return nil, err
	}
	var in faultInput
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	f := network.Fault{Operation: in.Operation, Project: rq.project, Count: in.Count, Code: in.Code, Message: in.Message, Hang: in.Hang}
	if in.Latency != "" {
		d, err := time.ParseDuration(in.Latency)
		if err != nil || d < 0 {
			return nil, errs.Invalid("latencyInvalid", "latency must be a duration such as \"2s\"; got %q.", in.Latency)
		}
		f.Latency = network.Duration(d)
	}
	if err := f.Check(); err != nil {
		return nil, errs.Invalid("providerFaultInvalid", "The fault is not valid: %v.", err)
	}
	if err := fi.InjectFault(rq.ctx, f); err != nil {
		return nil, providerError(err)
	}
	return &providerFault{Object: "providerFault", Provider: id, Project: rq.project, Operation: in.Operation, Count: in.Count,
		Code: in.Code, Message: in.Message, Latency: in.Latency, Hang: in.Hang}, nil
}

// clearFaults removes this project's faults at the provider.
func (s *Server) clearFaults(rq *request) (any, error) {
	id, fi, err := s.faultTarget(rq)
	if err != nil {
		return nil, err
	}
	if err := fi.ClearFaults(rq.ctx, rq.project); err != nil {
		return nil, providerError(err)
	}
	return map[string]string{"object": "providerFaultsCleared", "provider": id, "project": rq.project}, nil
}

// providerError turns an adapter's refusal into an API error.
func providerError(err error) error {
	var ne *network.Error
	if errors.As(err, &ne) && !ne.Retryable {
		return errs.Conflict("providerRefused", "The provider refused: %s.", ne.Message)
	}
	return err
}
