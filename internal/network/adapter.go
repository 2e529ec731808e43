package network

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
)

// NewAdapter serves a Provider over the adapter protocol: how
// `cellgate carrier-sim` puts the simulator behind HTTP, and a reference
// for adapters written in Go.
func NewAdapter(p Provider, secret string, log *slog.Logger) (http.Handler, error) {
	s, err := newSigner(secret)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for op, h := range operations(p) {
		mux.HandleFunc("POST "+OperationPath(op), func(w http.ResponseWriter, r *http.Request) {
			res, err := serveOperation(r, s, op, h)
			reply(w, log, op, res, err)
		})
	}
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		err := verifiedJSON(r, s, &f, func() error {
			fi, ok := p.(FaultInjector)
			if !ok {
				return Errorf(CodeOperationNotSupported, "this adapter takes no faults")
			}
			return fi.InjectFault(r.Context(), f)
		})
		reply(w, log, "faults", struct{}{}, err)
	})
	mux.HandleFunc("POST /faults/clear", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Project string `json:"project"`
		}
		err := verifiedJSON(r, s, &in, func() error {
			fi, ok := p.(FaultInjector)
			if !ok {
				return Errorf(CodeOperationNotSupported, "this adapter takes no faults")
			}
			return fi.ClearFaults(r.Context(), in.Project)
		})
		reply(w, log, "faults.clear", struct{}{}, err)
	})
	mux.HandleFunc("POST /traffic", func(w http.ResponseWriter, r *http.Request) {
		var in TrafficRequest
		err := verifiedJSON(r, s, &in, func() error {
			tm, ok := p.(TrafficModeler)
			if !ok {
				return Errorf(CodeOperationNotSupported, "this adapter takes no traffic models")
			}
			return tm.SetTraffic(r.Context(), in)
		})
		reply(w, log, "traffic", struct{}{}, err)
	})
	mux.HandleFunc("POST /effects", func(w http.ResponseWriter, r *http.Request) {
		var res map[string]map[string]int
		err := verifiedJSON(r, s, &struct{}{}, func() error {
			sim, ok := p.(*Simulator)
			if !ok {
				return Errorf(CodeOperationNotSupported, "this adapter counts no effects")
			}
			res = sim.AllEffects()
			return nil
		})
		reply(w, log, "effects", res, err)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply(w, log, "", nil, Errorf(CodeOperationNotSupported, "no operation at %s %s", r.Method, r.URL.Path))
	})
	return mux, nil
}

func verifiedJSON(r *http.Request, s signer, v any, then func() error) error {
	body, err := s.readVerified(r)
	if err != nil {
		return err
	}
	if err := decodeStrict(body, v); err != nil {
		return err
	}
	return then()
}

// serveOperation checks the signature and the envelope, then calls.
func serveOperation(r *http.Request, s signer, op string, h opHandler) (any, error) {
	body, err := s.readVerified(r)
	if err != nil {
		return nil, err
	}
	var env Envelope
	if err := decodeStrict(body, &env); err != nil {
		return nil, err
	}
	switch {
	case env.Operation != op:
		return nil, Errorf(CodeInvalidRequest, "the envelope's operation %q is not %q of this path", env.Operation, op)
	case env.IdempotencyKey != r.Header.Get(HeaderIdempotencyKey):
		return nil, Errorf(CodeInvalidRequest, "the Idempotency-Key header differs from the envelope's idempotencyKey")
	case env.Now.IsZero():
		return nil, Errorf(CodeInvalidRequest, "now is required")
	}
	return h(r.Context(), Meta{Key: env.IdempotencyKey, Project: env.Project, Now: env.Now}, env.Request)
}

func reply(w http.ResponseWriter, log *slog.Logger, op string, res any, err error) {
	status := http.StatusOK
	if err != nil {
		e, ok := AsError(err)
		if !ok {
			e = &Error{Code: CodeUnavailable, Message: "internal error", Retryable: true}
			log.Error("adapter", "operation", op, "error", err)
		}
		status, res = statusOf(e.Code), e
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(res) // the client is gone if this fails
}

type opHandler func(ctx context.Context, m Meta, raw json.RawMessage) (any, error)

// serve adapts a Provider method to an opHandler.
func serve[Req any, PReq interface {
	*Req
	setMeta(Meta)
}, Res any](f func(context.Context, Req) (Res, error)) opHandler {
	return func(ctx context.Context, m Meta, raw json.RawMessage) (any, error) {
		var req Req
		if err := decodeStrict(raw, &req); err != nil {
			return nil, err
		}
		PReq(&req).setMeta(m)
		return f(ctx, req)
	}
}

func noResult[Req any](f func(context.Context, Req) error) func(context.Context, Req) (struct{}, error) {
	return func(ctx context.Context, r Req) (struct{}, error) { return struct{}{}, f(ctx, r) }
}

func operations(p Provider) map[string]opHandler {
	return map[string]opHandler{
		OpProvisionESIM:      serve[ProvisionRequest](noResult(p.ProvisionESIM)),
		OpESIMProfile:        serve[ProfileRequest](p.ESIMProfile),
		OpActivate:           serve[LineRequest](p.Activate),
		OpDeactivate:         serve[LineRequest](noResult(p.Deactivate)),
		OpRestrict:           serve[LineRequest](noResult(p.Restrict)),
		OpRestore:            serve[LineRequest](noResult(p.Restore)),
		OpSwapSIM:            serve[SwapRequest](noResult(p.SwapSIM)),
		OpChangePlan:         serve[PlanChangeRequest](noResult(p.ChangePlan)),
		OpThrottle:           serve[ThrottleRequest](noResult(p.Throttle)),
		OpAddonAllowance:     serve[AddonAllowanceRequest](noResult(p.SetAddonAllowance)),
		OpPortOutCredentials: serve[LineRequest](p.PortOutCredentials),
		OpSubmitPorting:      serve[PortingRequest](p.SubmitPorting),
		OpUpdatePorting:      serve[PortingRequest](p.UpdatePorting),
		OpCancelPorting:      serve[PortingRef](p.CancelPorting),
		OpPortingStatus:      serve[PortingRef](p.PortingStatus),
		OpUsage:              serve[UsageRequest](p.Usage),
	}
}
