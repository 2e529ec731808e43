package api

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/clock"
	"cellgate/internal/store"
)

// stateCollector exports what an operator alerts on, read from the
// database at scrape time: subscriptions by status, overdue invoices, and
// the backlog and lag of timers, outbound operations and webhook
// deliveries. Only live projects count: a test project's work runs when
// its clock is advanced, so its "due" work is not late. docs/operations.md
// has an example alert for each.
type stateCollector struct {
	db *store.DB

	subscriptions, overdue, timersDue, timerLag, opsDue, opsLag, hooksDue, hooksLag, hooksFailed, up *prometheus.Desc

	// A scrape storm reads the database at most once a second.
	mu      sync.Mutex
	at      time.Time
	metrics []prometheus.Metric
}

func newStateCollector(db *store.DB) *stateCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &stateCollector{db: db,
		subscriptions: d("cellgate_subscriptions", "Subscriptions of live projects by status.", "status"),
		overdue:       d("cellgate_invoices_overdue", "Finalized invoices of live projects past their due date and not paid (overdue since the overdue step ran)."),
		timersDue:     d("cellgate_timers_due", "Timers of live projects that are due and not dead: the timeline worker's backlog."),
		timerLag:      d("cellgate_timer_lag_seconds", "How long the oldest due timer of a live project has waited; 0 when none is due."),
		opsDue:        d("cellgate_operations_due", "Pending outbound operations of live projects that are due: calls to outside systems waiting for a worker."),
		opsLag:        d("cellgate_operation_lag_seconds", "How long the oldest due outbound operation of a live project has waited; 0 when none is due."),
		hooksDue:      d("cellgate_webhook_deliveries_due", "Webhook deliveries (any project) waiting for an attempt now: the delivery worker's backlog."),
		hooksLag:      d("cellgate_webhook_delivery_lag_seconds", "How long the oldest due webhook delivery has waited; 0 when none is due."),
		hooksFailed:   d("cellgate_webhook_deliveries_failed", "Webhook deliveries that used up their attempts and wait for a retry or recover."),
		up:            d("cellgate_state_metrics_up", "1 when the state metrics above could be read from the database, 0 when reading failed."),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.subscriptions, c.overdue, c.timersDue, c.timerLag, c.opsDue, c.opsLag, c.hooksDue, c.hooksLag, c.hooksFailed, c.up} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > time.Second {
		c.metrics, c.at = c.read(), time.Now()
	}
	for _, m := range c.metrics {
		ch <- m
	}
}

const liveProject = `project_id IN (SELECT id FROM projects WHERE type = 'live')`

// read runs the queries; a failure reports up 0 and nothing else, so an
// alert on a stale value cannot fire from a database that is away.
func (c *stateCollector) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := clock.Wall()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
		return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	failed := []prometheus.Metric{gauge(c.up, 0)}
	var out []prometheus.Metric
	rows, err := c.db.Query(ctx, `SELECT status, COUNT(*) FROM subscriptions WHERE `+liveProject+` GROUP BY status`)
	if err != nil {
		return failed
	}
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			rows.Close()
			return failed
		}
		out = append(out, gauge(c.subscriptions, float64(n), status))
	}
	if rows.Close() != nil || rows.Err() != nil {
		return failed
	}
	// A backlog is a count and the age of its oldest item.
	backlog := func(count, lag *prometheus.Desc, query string) bool {
		var n int64
		var oldest *int64
		if err := c.db.QueryRow(ctx, query, store.Micros(now)).Scan(&n, &oldest); err != nil {
			return false
		}
		age := 0.0
		if oldest != nil {
			age = max(0, now.Sub(store.Time(*oldest)).Seconds())
		}
		out = append(out, gauge(count, float64(n)))
		if lag != nil {
			out = append(out, gauge(lag, age))
		}
		return true
	}
	ok := backlog(c.overdue, nil, `SELECT COUNT(*), MIN(overdue_since) FROM invoices WHERE status = 'finalized' AND overdue_since IS NOT NULL AND overdue_since <= ? AND `+liveProject) &&
		backlog(c.timersDue, c.timerLag, `SELECT COUNT(*), MIN(due_at) FROM timeline WHERE due_at <= ? AND dead_at IS NULL AND `+liveProject) &&
		backlog(c.opsDue, c.opsLag, `SELECT COUNT(*), MIN(due_at) FROM operations WHERE status = 'pending' AND due_at <= ? AND `+liveProject) &&
		backlog(c.hooksDue, c.hooksLag, `SELECT COUNT(*), MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?`)
	if !ok {
		return failed
	}
	var dead int64
	if err := c.db.QueryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'failed'`).Scan(&dead); err != nil {
		return failed
	}
	return append(out, gauge(c.hooksFailed, float64(dead)), gauge(c.up, 1))
}
