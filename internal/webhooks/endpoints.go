// Package webhooks delivers the event log to the HTTP endpoints a project
// registers: signed per Standard Webhooks, durable, at least once. Events
// enqueue their deliveries in the transaction that records them (see
// events.enqueueDeliveries); a Worker sends them and retries on a schedule.
package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"cellgate/internal/clock"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/optional"
	"cellgate/internal/store"
)

// Endpoint statuses.
const (
	StatusEnabled  = "enabled"
	StatusDisabled = "disabled"
)

// EventDisabled is recorded when delivery disables an endpoint.
const EventDisabled = "webhookEndpoint.disabled"

func init() { events.Register(EventDisabled) }

// RotationOverlap is how long a replaced secret keeps signing.
const RotationOverlap = 24 * time.Hour

// Endpoint is the API resource. Secret is set only in the answers to
// create and rotateSecret.
type Endpoint struct {
	Object        string    `json:"object"`
	ID            string    `json:"id"`
	URL           string    `json:"url"`
	Description   *string   `json:"description"`
	EnabledEvents []string  `json:"enabledEvents"`
	Status        string    `json:"status"`
	Secret        string    `json:"secret,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`

	project string
}

// Input is the body of create and update.
type Input struct {
	URL           optional.Value[string]   `json:"url"`
	EnabledEvents optional.Value[[]string] `json:"enabledEvents"`
	Description   optional.Value[string]   `json:"description"`
	Status        optional.Value[string]   `json:"status"`
}

const endpointColumns = `id, project_id, url, description, enabled_events, status, created_at, updated_at`

func scanEndpoint(row interface{ Scan(...any) error }) (*Endpoint, error) {
	var (
		e       Endpoint
		desc    sql.NullString
		enabled sql.NullString
		c, u    int64
	)
	if err := row.Scan(&e.ID, &e.project, &e.URL, &desc, &enabled, &e.Status, &c, &u); err != nil {
		return nil, err
	}
	e.Object, e.CreatedAt, e.UpdatedAt = "webhookEndpoint", store.Time(c), store.Time(u)
	if desc.Valid {
		e.Description = &desc.String
	}
	if enabled.Valid {
		if err := json.Unmarshal([]byte(enabled.String), &e.EnabledEvents); err != nil {
			return nil, err
		}
	}
	return &e, nil
}

// checkURL accepts absolute http(s) URLs. A literal private address, or
// a localhost name (RFC 6761: it always means loopback), is refused up
// front when private targets are not allowed; other names are checked
// when the worker connects.
func checkURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(raw) > 2048 {
		return errs.Invalid("urlInvalid", "Field url must be an absolute http or https URL without credentials; got %q.", raw)
	}
	if !allowPrivate && privateHost(u.Hostname()) {
		return errs.Invalid("urlPrivate", "Field url points at a private, loopback or link-local address, which this server does not deliver to.").
			WithHint("Run the server with --webhooks-allow-private to allow it.")
	}
	return nil
}

// privateHost reports whether a URL's host is known to be private before
// any lookup: a literal forbidden address or a localhost name.
func privateHost(host string) bool {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return forbidden(ip)
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

// normalizeTypes checks enabledEvents against the catalogue and returns
// the full type names, sorted and without repeats.
func normalizeTypes(types []string) ([]string, error) {
	if len(types) == 0 {
		return nil, errs.Invalid("enabledEventsEmpty", "Field enabledEvents must name at least one event type; leave it out for all types.")
	}
	out := make([]string, 0, len(types))
	for _, t := range types {
		full, ok := events.Normalize(t)
		if !ok {
			return nil, errs.Invalid("invalidEnumValue", "Field enabledEvents names an unknown event type %q.", t)
		}
		out = append(out, full)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// eventColumns renders the stored form of enabledEvents: the JSON list and
// the pattern enqueueing matches.
func eventColumnValues(types []string) (any, string) {
	if types == nil {
		return nil, "*"
	}
	raw, _ := json.Marshal(types)
	return string(raw), " " + strings.Join(types, " ") + " "
}

// Create registers an endpoint. now is the project's clock.
func Create(ctx context.Context, tx *store.Tx, project string, in Input, allowPrivate bool, now time.Time) (*Endpoint, error) {
	if !in.URL.Present() {
		return nil, errs.Invalid("urlRequired", "Field url is required.")
	}
	if err := checkURL(in.URL.Value, allowPrivate); err != nil {
		return nil, err
	}
	var types []string
	if in.EnabledEvents.Present() {
		var err error
		if types, err = normalizeTypes(in.EnabledEvents.Value); err != nil {
			return nil, err
		}
	}
	status := StatusEnabled
	if in.Status.Present() {
		status = in.Status.Value
	}
	if status != StatusEnabled && status != StatusDisabled {
		return nil, errs.Invalid("invalidEnumValue", "Field status must be enabled or disabled; got %q.", status)
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, err
	}
	enabled, match := eventColumnValues(types)
	e := &Endpoint{Object: "webhookEndpoint", ID: ids.New(ids.Webhook), URL: in.URL.Value, Description: in.Description.Ptr(),
		EnabledEvents: types, Status: status, Secret: NewSecret(), CreatedAt: now, UpdatedAt: now, project: project}
	_, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (id, project_id, url, description, enabled_events, event_match, status, secret, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, project, e.URL, e.Description, enabled, match, status, e.Secret, store.Micros(now), store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("webhooks: create endpoint: %w", err)
	}
	return e, nil
}

func checkDescription(d optional.Value[string]) error {
	if d.Present() && len(d.Value) > 1000 {
		return errs.Invalid("descriptionTooLong", "Field description must be at most 1000 characters.")
	}
	return nil
}

// Get reads one endpoint of a project; in a transaction it locks it.
func Get(ctx context.Context, q store.Querier, project, id string) (*Endpoint, error) {
	lock := store.LockInTx(q)
	e, err := scanEndpoint(q.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ? AND project_id = ?`+lock, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("webhookEndpoint", id)
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: get endpoint %s: %w", id, err)
	}
	return e, nil
}

// List pages through a project's endpoints, newest first.
func List(ctx context.Context, q store.Querier, project string, p store.Page) (store.PageOf[*Endpoint], error) {
	lq := &store.ListQuery{Select: `SELECT ` + endpointColumns + ` FROM webhook_endpoints`}
	lq.Where("project_id = ?", project)
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Endpoint, string, error) {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, "", err
		}
		return e, e.ID, nil
	})
}

// Update changes url, enabledEvents, description or status. Disabling an
// endpoint fails its pending deliveries, which recover can send later.
func Update(ctx context.Context, tx *store.Tx, project, id string, in Input, allowPrivate bool, now time.Time) (*Endpoint, error) {
	e, err := Get(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if in.URL.Set {
		if in.URL.Null {
			return nil, errs.Invalid("urlRequired", "Field url cannot be null.")
		}
		if err := checkURL(in.URL.Value, allowPrivate); err != nil {
			return nil, err
		}
		e.URL = in.URL.Value
	}
	if in.EnabledEvents.Set {
		e.EnabledEvents = nil // null: every type
		if in.EnabledEvents.Present() {
			if e.EnabledEvents, err = normalizeTypes(in.EnabledEvents.Value); err != nil {
				return nil, err
			}
		}
	}
	if in.Description.Set {
		if err := checkDescription(in.Description); err != nil {
			return nil, err
		}
		e.Description = in.Description.Ptr()
	}
	wasEnabled := e.Status == StatusEnabled
	if in.Status.Set {
		if in.Status.Value != StatusEnabled && in.Status.Value != StatusDisabled {
			return nil, errs.Invalid("invalidEnumValue", "Field status must be enabled or disabled; got %q.", in.Status.Value)
		}
		e.Status = in.Status.Value
	}
	e.UpdatedAt = now
	enabled, match := eventColumnValues(e.EnabledEvents)
	_, err = tx.Exec(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, enabled_events = ?, event_match = ?, status = ?,
		failing_since = CASE WHEN ? THEN NULL ELSE failing_since END, updated_at = ? WHERE id = ?`,
		e.URL, e.Description, enabled, match, e.Status, !wasEnabled && e.Status == StatusEnabled, store.Micros(now), id)
	if err != nil {
		return nil, fmt.Errorf("webhooks: update endpoint: %w", err)
	}
	if wasEnabled && e.Status == StatusDisabled {
		if err := failPending(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// failPending gives up on an endpoint's pending deliveries.
func failPending(ctx context.Context, tx *store.Tx, endpoint string) error {
	_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = ?
		WHERE endpoint_id = ? AND status = 'pending'`, clock.Wall().UnixMicro(), endpoint)
	return err
}

// Delete removes an endpoint with its deliveries and their attempts.
func Delete(ctx context.Context, tx *store.Tx, project, id string) (*Endpoint, error) {
	e, err := Get(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		`DELETE FROM webhook_attempts WHERE endpoint_id = ?`,
		`DELETE FROM webhook_deliveries WHERE endpoint_id = ?`,
		`DELETE FROM webhook_endpoints WHERE id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return nil, fmt.Errorf("webhooks: delete endpoint: %w", err)
		}
	}
	return e, nil
}

// RotateSecret gives the endpoint a new secret; the old one keeps signing
// alongside it for RotationOverlap (wall clock).
func RotateSecret(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Endpoint, error) {
	e, err := Get(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	e.Secret, e.UpdatedAt = NewSecret(), now
	_, err = tx.Exec(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ?, updated_at = ? WHERE id = ?`,
		clock.Wall().Add(RotationOverlap).UnixMicro(), e.Secret, store.Micros(now), id)
	if err != nil {
		return nil, fmt.Errorf("webhooks: rotate secret: %w", err)
	}
	return e, nil
}
