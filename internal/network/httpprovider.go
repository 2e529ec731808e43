package network

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// HTTPProvider is a carrier reached through an adapter process over the
// protocol of docs/carriers.md. Each call has its own timeout.
type HTTPProvider struct {
	info   ProviderInfo
	client *http.Client
	signer signer
	err    error // a bad secret: every call fails with it
}

// NewHTTPProvider returns the client of an adapter.
func NewHTTPProvider(info ProviderInfo, transport http.RoundTripper) *HTTPProvider {
	s, err := newSigner(info.Secret)
	if info.Timeout == 0 {
		info.Timeout = Duration(DefaultTimeout)
	}
	return &HTTPProvider{info: info, client: &http.Client{Transport: transport}, signer: s, err: err}
}

// post sends a signed body to path and decodes the answer into out.
func (h *HTTPProvider) post(ctx context.Context, path, key string, body []byte, out any) error {
	if h.err != nil {
		return Errorf(CodeInvalidRequest, "provider %s: %v", h.info.ID, h.err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(h.info.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.info.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return Errorf(CodeInvalidRequest, "provider %s: %v", h.info.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(HeaderIdempotencyKey, key)
	}
	if err := h.signer.sign(req.Header, body, time.Now()); err != nil {
		return Errorf(CodeInvalidRequest, "provider %s: signing: %v", h.info.ID, err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return Errorf(CodeTimeout, "provider %s did not answer within %s", h.info.ID, time.Duration(h.info.Timeout))
		}
		return Errorf(CodeUnavailable, "provider %s: %v", h.info.ID, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return Errorf(CodeTimeout, "provider %s did not answer within %s", h.info.ID, time.Duration(h.info.Timeout))
		}
		return Errorf(CodeUnavailable, "provider %s: reading the answer: %v", h.info.ID, err)
	}
	if resp.StatusCode/100 != 2 {
		return errorFromResponse(resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return Errorf(CodeUnavailable, "provider %s: undecodable answer: %v", h.info.ID, err)
		}
	}
	return nil
}

// do calls one operation.
func do[Res any](ctx context.Context, h *HTTPProvider, op string, req interface{ meta() Meta }) (Res, error) {
	var out Res
	m := req.meta()
	raw, err := json.Marshal(req)
	if err != nil {
		return out, Errorf(CodeInvalidRequest, "%s: %v", op, err)
	}
	body, err := json.Marshal(Envelope{Operation: op, IdempotencyKey: m.Key, Project: m.Project, Now: m.Now.UTC(), Request: raw})
	if err != nil {
		return out, Errorf(CodeInvalidRequest, "%s: %v", op, err)
	}
	err = h.post(ctx, OperationPath(op), m.Key, body, &out)
	return out, err
}

type empty struct{}

func (h *HTTPProvider) ProvisionESIM(ctx context.Context, req ProvisionRequest) error {
	_, err := do[empty](ctx, h, OpProvisionESIM, req)
	return err
}

func (h *HTTPProvider) Activate(ctx context.Context, req LineRequest) (Activation, error) {
	return do[Activation](ctx, h, OpActivate, req)
}

func (h *HTTPProvider) Deactivate(ctx context.Context, req LineRequest) error {
	_, err := do[empty](ctx, h, OpDeactivate, req)
	return err
}

func (h *HTTPProvider) Restrict(ctx context.Context, req LineRequest) error {
	_, err := do[empty](ctx, h, OpRestrict, req)
	return err
}

func (h *HTTPProvider) Restore(ctx context.Context, req LineRequest) error {
	_, err := do[empty](ctx, h, OpRestore, req)
	return err
}

func (h *HTTPProvider) SwapSIM(ctx context.Context, req SwapRequest) error {
	_, err := do[empty](ctx, h, OpSwapSIM, req)
	return err
}

func (h *HTTPProvider) ChangePlan(ctx context.Context, req PlanChangeRequest) error {
	_, err := do[empty](ctx, h, OpChangePlan, req)
	return err
}

func (h *HTTPProvider) SetAddonAllowance(ctx context.Context, req AddonAllowanceRequest) error {
	_, err := do[empty](ctx, h, OpAddonAllowance, req)
	return err
}

func (h *HTTPProvider) Throttle(ctx context.Context, req ThrottleRequest) error {
	_, err := do[empty](ctx, h, OpThrottle, req)
	return err
}

func (h *HTTPProvider) SubmitPorting(ctx context.Context, req PortingRequest) (PortingStatus, error) {
	return do[PortingStatus](ctx, h, OpSubmitPorting, req)
}

func (h *HTTPProvider) UpdatePorting(ctx context.Context, req PortingRequest) (PortingStatus, error) {
	return do[PortingStatus](ctx, h, OpUpdatePorting, req)
}

func (h *HTTPProvider) CancelPorting(ctx context.Context, req PortingRef) (PortingStatus, error) {
	return do[PortingStatus](ctx, h, OpCancelPorting, req)
}

func (h *HTTPProvider) PortingStatus(ctx context.Context, req PortingRef) (PortingStatus, error) {
	return do[PortingStatus](ctx, h, OpPortingStatus, req)
}

func (h *HTTPProvider) PortOutCredentials(ctx context.Context, req LineRequest) (PortOutCredentials, error) {
	return do[PortOutCredentials](ctx, h, OpPortOutCredentials, req)
}

func (h *HTTPProvider) ESIMProfile(ctx context.Context, req ProfileRequest) (ESIMProfileState, error) {
	return do[ESIMProfileState](ctx, h, OpESIMProfile, req)
}

func (h *HTTPProvider) Usage(ctx context.Context, req UsageRequest) (UsageBatch, error) {
	return do[UsageBatch](ctx, h, OpUsage, req)
}

// InjectFault asks the adapter to take a fault (POST /faults); adapters
// of real carriers answer 404 operationNotSupported.
func (h *HTTPProvider) InjectFault(ctx context.Context, f Fault) error {
	body, _ := json.Marshal(f) // a Fault always marshals
	return h.post(ctx, "/faults", "", body, nil)
}

// ClearFaults removes the adapter's faults of a project ("" = all).
func (h *HTTPProvider) ClearFaults(ctx context.Context, project string) error {
	body, _ := json.Marshal(map[string]string{"project": project})
	return h.post(ctx, "/faults/clear", "", body, nil)
}

// Effects reads a simulating adapter's effect counts (POST /effects).
func (h *HTTPProvider) Effects(ctx context.Context) (map[string]map[string]int, error) {
	var out map[string]map[string]int
	err := h.post(ctx, "/effects", "", []byte("{}"), &out)
	return out, err
}
