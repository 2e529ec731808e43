package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"cellgate/internal/clock"
	"cellgate/internal/events"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// recordBatch bounds how many outcomes one transaction records.
const recordBatch = 512

// record writes outcomes as they come, many per transaction, and frees
// their slots once they are durable.
func (r *run) record(ctx context.Context) {
	// Outcomes already in hand are written even while stopping.
	wctx := context.WithoutCancel(ctx)
	for first := range r.results {
		batch := []outcome{first}
	more:
		for len(batch) < recordBatch {
			select {
			case o, ok := <-r.results:
				if !ok {
					break more
				}
				batch = append(batch, o)
			default:
				break more
			}
		}
		if err := r.w.DB.InTx(wctx, func(tx *store.Tx) error { return r.write(wctx, tx, batch) }); err != nil {
			// Unrecorded attempts are sent again when their leases expire.
			r.w.Log.Error("webhooks: record attempts", "err", err, "attempts", len(batch))
		}
		r.mu.Lock()
		r.inflight -= len(batch)
		for _, o := range batch {
			if o.sent() {
				if r.perEndpoint[o.c.endpoint]--; r.perEndpoint[o.c.endpoint] <= 0 {
					delete(r.perEndpoint, o.c.endpoint)
				}
			}
		}
		r.mu.Unlock()
		select {
		case r.freed <- struct{}{}:
		default:
		}
	}
}

func (r *run) write(ctx context.Context, tx *store.Tx, batch []outcome) error {
	now := clock.Wall()
	ok, failed, gone := map[string]bool{}, map[string]string{}, map[string]string{}
	for _, o := range batch {
		if o.canceled {
			continue
		}
		c := o.c
		if o.orphan {
			if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND id = ?`, c.endpoint, c.id); err != nil {
				return fmt.Errorf("drop orphan delivery: %w", err)
			}
			continue
		}
		n := c.attempts + 1
		status, next := DeliverySucceeded, time.Time{}
		switch {
		case o.noSend:
			status = DeliveryFailed
		case o.ok():
			ok[c.endpoint] = true
		case o.code == http.StatusGone:
			status = DeliveryFailed
			gone[c.endpoint] = c.project
		default:
			failed[c.endpoint] = c.project
			if next = r.cfg.nextAttempt(n, now, o.retryAt); next.IsZero() {
				status = DeliveryFailed
			} else {
				status = DeliveryPending
			}
		}
		var nextAt any
		if !next.IsZero() {
			nextAt = next.UnixMicro()
		}
		if o.noSend {
			n = c.attempts
		}
		res, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated_at = ?
			WHERE endpoint_id = ? AND id = ? AND next_attempt_at = ? AND claims = ?`, status, n, nextAt, now.UnixMicro(), c.endpoint, c.id, c.lease, c.claims)
		if err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			// A retry or recover made the delivery due again while this
			// attempt was in flight: that request stands; only count the
			// attempt.
			if res, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET attempts = ?, updated_at = ? WHERE endpoint_id = ? AND id = ?`,
				n, now.UnixMicro(), c.endpoint, c.id); err != nil {
				return fmt.Errorf("update delivery: %w", err)
			}
		}
		if k, _ := res.RowsAffected(); k == 0 || o.noSend {
			continue // the endpoint was deleted meanwhile, or nothing was sent
		}
		var code, msg any
		if o.code != 0 {
			code = o.code
		}
		if o.err != "" {
			msg = truncate(o.err, 500)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (endpoint_id, delivery_id, attempt, attempted_at, status_code, latency_us, error)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.endpoint, c.id, n, o.at.UnixMicro(), code, o.latency.Microseconds(), msg); err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
	}
	for ep := range ok {
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`, ep); err != nil {
			return err
		}
	}
	for ep, project := range gone {
		if err := disable(ctx, tx, project, ep, "The endpoint answered 410 Gone."); err != nil {
			return err
		}
	}
	for ep, project := range failed {
		if ok[ep] || gone[ep] != "" {
			continue
		}
		var since int64
		err := tx.QueryRow(ctx, `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, CAST(? AS BIGINT))
			WHERE id = ? AND status = 'enabled' RETURNING failing_since`, now.UnixMicro(), ep).Scan(&since)
		if err != nil {
			continue // deleted or already disabled
		}
		if now.Sub(store.Time(since)) >= r.cfg.DisableAfter {
			if err := disable(ctx, tx, project, ep, "Every attempt failed for "+r.cfg.DisableAfter.String()+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// disable turns an endpoint off, gives up its pending deliveries and
// records webhookEndpoint.disabled, which other endpoints may receive.
func disable(ctx context.Context, tx *store.Tx, project, id, reason string) error {
	at, err := projects.Now(ctx, tx, project)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = ?, updated_at = ?
		WHERE id = ? AND status = 'enabled'`, reason, store.Micros(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if err := failPending(ctx, tx, id); err != nil {
		return err
	}
	e, err := Get(ctx, tx, project, id)
	if err != nil {
		return err
	}
	data := struct {
		*Endpoint
		DisabledReason string `json:"disabledReason"`
	}{e, reason}
	return events.Record(events.WithActor(ctx, events.System), tx, project, EventDisabled, id, data, at)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
