package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/clock"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/store"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery is one event on its way to one endpoint, with every attempt.
type Delivery struct {
	Object        string     `json:"object"`
	ID            string     `json:"id"`
	Endpoint      string     `json:"endpoint"`
	Event         string     `json:"event"`
	Status        string     `json:"status"`
	NextAttemptAt *time.Time `json:"nextAttemptAt"`
	Attempts      []Attempt  `json:"attempts"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
}

// Attempt is one try at sending a delivery.
type Attempt struct {
	Attempt     int       `json:"attempt"`
	AttemptedAt time.Time `json:"attemptedAt"`
	// StatusCode is the receiver's answer; nil when there was none.
	StatusCode *int    `json:"statusCode"`
	LatencyMs  float64 `json:"latencyMs"`
	Error      *string `json:"error"`
}

const deliveryColumns = `id, endpoint_id, event_id, status, next_attempt_at, created_at, updated_at`

func scanDelivery(row interface{ Scan(...any) error }) (*Delivery, error) {
	var (
		d    Delivery
		next sql.NullInt64
		c, u int64
	)
	if err := row.Scan(&d.ID, &d.Endpoint, &d.Event, &d.Status, &next, &c, &u); err != nil {
		return nil, err
	}
	d.Object, d.CreatedAt, d.UpdatedAt, d.Attempts = "webhookDelivery", store.Time(c), store.Time(u), []Attempt{}
	if d.Status == DeliveryPending {
		d.NextAttemptAt = store.NullTime(next)
	}
	return &d, nil
}

// ListDeliveries pages through an endpoint's deliveries, newest first,
// each with its attempts. status, when set, filters.
func ListDeliveries(ctx context.Context, q store.Querier, project, endpoint, status string, p store.Page) (store.PageOf[*Delivery], error) {
	if _, err := Get(ctx, q, project, endpoint); err != nil {
		return store.PageOf[*Delivery]{}, err
	}
	lq := &store.ListQuery{Select: `SELECT ` + deliveryColumns + ` FROM webhook_deliveries`}
	lq.Where("endpoint_id = ?", endpoint)
	if status != "" {
		lq.Where("status = ?", status)
	}
	page, err := store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Delivery, string, error) {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, "", err
		}
		return d, d.ID, nil
	})
	if err != nil {
		return page, err
	}
	return page, loadAttempts(ctx, q, endpoint, page.Items)
}

// GetDelivery reads one delivery with its attempts.
func GetDelivery(ctx context.Context, q store.Querier, project, endpoint, id string) (*Delivery, error) {
	if _, err := Get(ctx, q, project, endpoint); err != nil {
		return nil, err
	}
	d, err := scanDelivery(q.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE endpoint_id = ? AND id = ?`, endpoint, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("webhookDelivery", id)
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: get delivery: %w", err)
	}
	return d, loadAttempts(ctx, q, endpoint, []*Delivery{d})
}

func loadAttempts(ctx context.Context, q store.Querier, endpoint string, ds []*Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[string]*Delivery, len(ds))
	args := []any{endpoint}
	for _, d := range ds {
		byID[d.ID] = d
		args = append(args, d.ID)
	}
	marks := strings.Repeat("?, ", len(ds))
	rows, err := q.Query(ctx, `SELECT delivery_id, attempt, attempted_at, status_code, latency_us, error FROM webhook_attempts
		WHERE endpoint_id = ? AND delivery_id IN (`+marks[:len(marks)-2]+`) ORDER BY delivery_id, attempt, attempted_at`, args...)
	if err != nil {
		return fmt.Errorf("webhooks: read attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      string
			a       Attempt
			at, lat int64
			code    sql.NullInt64
			msg     sql.NullString
		)
		if err := rows.Scan(&id, &a.Attempt, &at, &code, &lat, &msg); err != nil {
			return err
		}
		a.AttemptedAt, a.LatencyMs = store.Time(at), float64(lat)/1000
		if code.Valid {
			c := int(code.Int64)
			a.StatusCode = &c
		}
		if msg.Valid {
			a.Error = &msg.String
		}
		byID[id].Attempts = append(byID[id].Attempts, a)
	}
	return rows.Err()
}

// enabledEndpoint locks an endpoint and refuses resending to a disabled one.
func enabledEndpoint(ctx context.Context, tx *store.Tx, project, endpoint string) error {
	e, err := Get(ctx, tx, project, endpoint)
	if err != nil {
		return err
	}
	if e.Status != StatusEnabled {
		return errs.Conflict("webhookEndpointDisabled", "Webhook endpoint %q is disabled; enable it before resending.", endpoint)
	}
	return nil
}

// Retry makes one delivery due now, whatever its status; the worker sends
// it with the same webhook-id.
func Retry(ctx context.Context, tx *store.Tx, project, endpoint, id string) (*Delivery, error) {
	if err := enabledEndpoint(ctx, tx, project, endpoint); err != nil {
		return nil, err
	}
	now := clock.Wall().UnixMicro()
	res, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE endpoint_id = ? AND id = ?`,
		now, now, endpoint, id)
	if err != nil {
		return nil, fmt.Errorf("webhooks: retry: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.NotFound("webhookDelivery", id)
	}
	tx.AfterCommit(events.WakeDeliveries)
	d, err := scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE endpoint_id = ? AND id = ?`, endpoint, id))
	if err != nil {
		return nil, err
	}
	return d, loadAttempts(ctx, tx, endpoint, []*Delivery{d})
}

// Recovery is the answer to recover.
type Recovery struct {
	Object     string    `json:"object"`
	Endpoint   string    `json:"endpoint"`
	Since      time.Time `json:"since"`
	Deliveries int64     `json:"deliveries"`
}

// Recover makes every failed delivery of the endpoint created since then
// (wall clock) due now.
func Recover(ctx context.Context, tx *store.Tx, project, endpoint string, since time.Time) (*Recovery, error) {
	if err := enabledEndpoint(ctx, tx, project, endpoint); err != nil {
		return nil, err
	}
	now := clock.Wall().UnixMicro()
	res, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?
		WHERE endpoint_id = ? AND status = 'failed' AND created_at >= ?`, now, now, endpoint, store.Micros(since))
	if err != nil {
		return nil, fmt.Errorf("webhooks: recover: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		tx.AfterCommit(events.WakeDeliveries)
	}
	return &Recovery{Object: "webhookRecovery", Endpoint: endpoint, Since: since.UTC(), Deliveries: n}, nil
}
