package network

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// Callback types: the asynchronous outcomes an adapter reports.
const (
	CallbackActivationCompleted = "activation.completed"
	CallbackActivationFailed    = "activation.failed"
	CallbackPortingCompleted    = "porting.completed"
	CallbackPortingDeclined     = "porting.declined"
	CallbackESIMProfileChanged  = "esimProfile.changed"
	// CallbackPortOutCompleted: another carrier took the line's number
	// with its port-out credentials; iccid and phoneNumber name the line.
	CallbackPortOutCompleted = "portOut.completed"
)

var callbackTypes = []string{CallbackActivationCompleted, CallbackActivationFailed, CallbackPortingCompleted,
	CallbackPortingDeclined, CallbackESIMProfileChanged, CallbackPortOutCompleted}

// Callback is an adapter's report of an outcome that came later than the
// call: the body of POST {cellgate}/carriers/{provider}/callbacks.
type Callback struct {
	// ID is the webhook-id header: a retried callback keeps it, so the
	// receiver handles each once.
	ID   string `json:"-"`
	Type string `json:"type"`
	// IdempotencyKey is the key of the call whose outcome this is.
	IdempotencyKey string    `json:"idempotencyKey,omitempty"`
	Project        string    `json:"project"`
	OccurredAt     time.Time `json:"occurredAt"`
	ICCID          string    `json:"iccid,omitempty"`
	PhoneNumber    string    `json:"phoneNumber,omitempty"`
	// Porting is set on porting.*; Profile on esimProfile.changed; Error
	// on activation.failed.
	Porting *PortingStatus    `json:"porting,omitempty"`
	Profile *ESIMProfileState `json:"profile,omitempty"`
	Error   *Error            `json:"error,omitempty"`
}

func (c Callback) check() error {
	switch {
	case !slices.Contains(callbackTypes, c.Type):
		return fmt.Errorf("type %q is not one of %v", c.Type, callbackTypes)
	case c.Project == "" || c.OccurredAt.IsZero():
		return fmt.Errorf("project and occurredAt are required")
	}
	switch c.Type {
	case CallbackActivationCompleted:
		if c.ICCID == "" {
			return fmt.Errorf("%s needs iccid", c.Type)
		}
	case CallbackPortOutCompleted:
		if c.ICCID == "" || c.PhoneNumber == "" {
			return fmt.Errorf("%s needs iccid and phoneNumber", c.Type)
		}
	case CallbackActivationFailed:
		if c.ICCID == "" || c.Error == nil || c.Error.Code == "" {
			return fmt.Errorf("%s needs iccid and error.code", c.Type)
		}
	case CallbackPortingCompleted, CallbackPortingDeclined:
		want := PortingCompleted
		if c.Type == CallbackPortingDeclined {
			want = PortingDeclined
		}
		if c.Porting == nil || c.Porting.Reference == "" || c.Porting.Status != want {
			return fmt.Errorf("%s needs porting.reference and porting.status %q", c.Type, want)
		}
		if want == PortingDeclined && !isDeclineCode(c.Porting.DeclineCode) {
			return fmt.Errorf("porting.declineCode %q is not a porting decline code", c.Porting.DeclineCode)
		}
	case CallbackESIMProfileChanged:
		if c.Profile == nil || c.Profile.ICCID == "" ||
			!slices.Contains([]string{ProfileDeleted, ProfileDisabled, ProfileEnabled, ProfileInstalled, ProfileUnknown}, c.Profile.Status) {
			return fmt.Errorf("%s needs profile.iccid and a profile.status", c.Type)
		}
	}
	return nil
}

// ParseCallback verifies a callback's signature with the provider's
// secret (and its timestamp, within 5 minutes) and decodes it. Unknown
// fields are allowed, so adapters may send more than this version reads.
func ParseCallback(secret string, r *http.Request) (Callback, error) {
	s, err := newSigner(secret)
	if err != nil {
		return Callback{}, err
	}
	body, err := s.readVerified(r)
	if err != nil {
		return Callback{}, err
	}
	var c Callback
	if err := json.Unmarshal(body, &c); err != nil {
		return Callback{}, Errorf(CodeInvalidRequest, "callback: %v", err)
	}
	if err := c.check(); err != nil {
		return Callback{}, Errorf(CodeInvalidRequest, "callback: %v", err)
	}
	c.ID = r.Header.Get("webhook-id")
	return c, nil
}

// SendCallback signs and posts a callback, for adapters written in Go.
func SendCallback(ctx context.Context, client *http.Client, url, secret string, c Callback) error {
	if err := c.check(); err != nil {
		return err
	}
	s, err := newSigner(secret)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(c) // a Callback always marshals
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := s.sign(req.Header, body, time.Now()); err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("callback to %s: status %d", url, resp.StatusCode)
	}
	return nil
}
