package network

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Envelope is the body of every call cellgate makes to an adapter: the
// operation, the request metadata and the operation's request. The
// Standard Webhooks signature covers all of it.
type Envelope struct {
	Operation      string          `json:"operation"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	Project        string          `json:"project"`
	Now            time.Time       `json:"now"`
	Request        json.RawMessage `json:"request"`
}

// OperationPath is where an adapter serves op: lines.activate is
// /v1/lines/activate.
func OperationPath(op string) string { return "/v1/" + strings.ReplaceAll(op, ".", "/") }

// Protocol headers besides the Standard Webhooks ones.
const HeaderIdempotencyKey = "Idempotency-Key"

// maxBody caps what either side reads.
const maxBody = 4 << 20

// signer signs and verifies with a shared secret (Standard Webhooks:
// webhook-id, webhook-timestamp, webhook-signature; the receiver rejects
// timestamps more than 5 minutes away).
type signer struct{ wh *standardwebhooks.Webhook }

func newSigner(secret string) (signer, error) {
	if err := checkSecret(secret); err != nil {
		return signer{}, err
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	return signer{wh}, err
}

// sign sets the signature headers of body on h.
func (s signer) sign(h http.Header, body []byte, at time.Time) error {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	id := "msg_" + hex.EncodeToString(b)
	sig, err := s.wh.Sign(id, at, body)
	if err != nil {
		return err
	}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	return nil
}

// readVerified reads a signed body, or says why it is not acceptable.
func (s signer) readVerified(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, Errorf(CodeInvalidRequest, "reading the body: %v", err)
	}
	if len(body) > maxBody {
		return nil, Errorf(CodeInvalidRequest, "the body is larger than %d bytes", maxBody)
	}
	if err := s.wh.Verify(body, r.Header); err != nil {
		return nil, Errorf(CodeUnauthorized, "signature: %v", err)
	}
	return body, nil
}

// decodeStrict decodes JSON, rejecting unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(CodeInvalidRequest, "body: %v", err)
	}
	if dec.More() {
		return Errorf(CodeInvalidRequest, "body: data after the JSON value")
	}
	return nil
}

// statusOf is the HTTP status an adapter answers an error code with.
func statusOf(code string) int {
	switch code {
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeTimeout:
		return http.StatusGatewayTimeout
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeInvalidRequest:
		return http.StatusBadRequest
	case CodeLineNotFound, CodeProfileNotFound, CodePortingNotFound, CodeOperationNotSupported:
		return http.StatusNotFound
	case CodeIdempotencyKeyReused, CodeProfileAlreadyExists, CodePortingAlreadyExists, CodePortingNotCancelable,
		CodePortingNotUpdatable, CodeLineNotActive:
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// errorFromResponse turns an adapter's error answer into an Error: 5xx,
// 429 and timeouts are retryable whatever the body says.
func errorFromResponse(status int, body []byte) *Error {
	var e Error
	if json.Unmarshal(body, &e) != nil || e.Code == "" {
		e = Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("the adapter answered %d without an error body", status)}
		if status >= 500 {
			e.Code = CodeUnavailable
		}
	}
	if status >= 500 || status == http.StatusTooManyRequests || retryableCodes[e.Code] {
		e.Retryable = true
	}
	return &e
}
