// Package client is a Go client for the cellgate API (and so for the
// parts of the Gigs Core API that cellgate implements), typed after the
// OpenAPI document the server serves at /openapi.json. A test holds every
// type and operation here against that document.
//
// A client belongs to one project and its API key:
//
//	c := client.New("http://127.0.0.1:8080", "demo", os.Getenv("GIGS_TOKEN"))
//	user, err := c.CreateUser(ctx, client.UserCreate{Email: "jerry@example.com", FullName: "Jerry Seinfeld"})
//	if err != nil {
//		return err
//	}
//	sub, err := c.CreateSubscription(ctx, client.SubscriptionCreate{Plan: planID, User: user.ID, SIM: "auto"})
//
// Errors the API answers are *Error values, with the documented type and
// code to branch on:
//
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) && apiErr.Code == "emailTaken" { ... }
//
// Test projects run on a clock of their own; a test suite moves it and
// brings the project back to a saved state:
//
//	snap, _ := c.CreateTestSnapshot(ctx, "before renewals")
//	adv, _ := c.AdvanceTestClock(ctx, client.By("1mo"))   // or client.To(t)
//	if len(adv.TimerFailures) > 0 { ... }
//	_, _ = c.RestoreTestSnapshot(ctx, snap.ID)
//
// Every POST can carry an Idempotency-Key: WithIdempotencyKey(ctx, key)
// sends it with the calls made with that context.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls the API of one project with one API key. It is safe for
// concurrent use.
type Client struct {
	base, project, key string
	// HTTP is the client requests go through; New sets one with a 60 s
	// timeout.
	HTTP *http.Client
}

// New returns a client for project at base (such as
// "http://127.0.0.1:8080") that authenticates with key.
func New(base, project, key string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), project: project, key: key, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Project is the id of the client's project.
func (c *Client) Project() string { return c.project }

// Error is an error the API answered: the documented envelope and the
// HTTP status.
type Error struct {
	Status        int      `json:"-"`
	Object        string   `json:"object"`
	Type          string   `json:"type"`
	Code          string   `json:"code"`
	Message       string   `json:"message"`
	Hint          string   `json:"hint,omitempty"`
	Documentation []string `json:"documentation,omitempty"`
	RequestID     string   `json:"-"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("cellgate: %d %s (%s): %s", e.Status, e.Type, e.Code, e.Message)
}

type idemKey struct{}

// WithIdempotencyKey returns a context whose POST calls carry key as their
// Idempotency-Key: a retry with the same key and body gets the first
// answer again instead of doing the work twice.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKey{}, key)
}

// call is one request: the operation (its method and path pattern come
// from operations), the path parameters after {project} in order, the
// query, the body (nil for none) and where to decode the answer.
func (c *Client) call(ctx context.Context, op string, params []string, query url.Values, body, out any) error {
	route, ok := operations[op]
	if !ok {
		return fmt.Errorf("cellgate client: unknown operation %s", op)
	}
	method, pattern, _ := strings.Cut(route, " ")
	path, err := fill(pattern, c.project, params)
	if err != nil {
		return fmt.Errorf("cellgate client: %s: %w", op, err)
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k, ok := ctx.Value(idemKey{}).(string); ok && method == http.MethodPost {
		req.Header.Set("Idempotency-Key", k)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
		if json.Unmarshal(raw, e) != nil || e.Type == "" {
			e.Type, e.Message = "unknown", strings.TrimSpace(string(raw))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("cellgate client: %s: decode the answer: %w", op, err)
	}
	return nil
}

// fill puts the project and params, escaped, into a path pattern's
// parameters, in order.
func fill(pattern, project string, params []string) (string, error) {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") {
			continue
		}
		if p == "{project}" {
			parts[i] = url.PathEscape(project)
			continue
		}
		if len(params) == 0 {
			return "", fmt.Errorf("no value for %s", p)
		}
		parts[i], params = url.PathEscape(params[0]), params[1:]
	}
	if len(params) > 0 {
		return "", fmt.Errorf("%d values too many", len(params))
	}
	return strings.Join(parts, "/"), nil
}

// pageQuery turns a Page into a query string.
func pageQuery(p Page) url.Values {
	q := url.Values{}
	if p.After != "" {
		q.Set("after", p.After)
	}
	if p.Before != "" {
		q.Set("before", p.Before)
	}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	for k, v := range p.Filters {
		q.Set(k, v)
	}
	return q
}
