package console

import (
	"context"
	"strconv"
	"time"

	"cellgate/internal/events"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

func init() {
	Register(Page{Route: "GET /{$}", Nav: "Overview", Order: 10, Handle: (*Console).overview})
}

// figure is one number of the overview and the filtered list it stands for.
type figure struct {
	Label string
	Value string
	Href  string
}

// overview is the project at a glance: each number links to its list.
func (c *Console) overview(rq *request) (*answer, error) {
	ctx, p := rq.ctx, rq.project.ID
	now, err := projects.Now(ctx, c.db, p)
	if err != nil {
		return nil, err
	}
	since := store.Micros(now.Add(-30 * 24 * time.Hour))
	count := func(query string, args ...any) (int64, error) {
		var n int64
		err := c.db.QueryRow(ctx, query, args...).Scan(&n)
		return n, err
	}
	var out []figure
	for _, st := range []string{subscriptions.StatusActive, subscriptions.StatusPending, subscriptions.StatusRestricted} {
		n, err := count(`SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND status = ?`, p, st)
		if err != nil {
			return nil, err
		}
		out = append(out, figure{Label: st + " subscriptions", Value: itoa(n), Href: withQuery(rq.base()+"/subscriptions", "status", st)})
	}
	renewed, err := count(`SELECT COUNT(*) FROM events WHERE project_id = ? AND type = ? AND time >= ?`, p, events.TypePrefix+"subscription.renewed", since)
	if err != nil {
		return nil, err
	}
	out = append(out, figure{Label: "renewals, last 30 days", Value: itoa(renewed), Href: withQuery(rq.base()+"/events", "type", "subscription.renewed")})
	revenue, err := c.revenue(ctx, p, since)
	if err != nil {
		return nil, err
	}
	out = append(out, figure{Label: "revenue, last 30 days", Value: revenue, Href: withQuery(rq.base()+"/invoices", "status", "paid")})
	overdue, err := count(`SELECT COUNT(*) FROM invoices WHERE project_id = ? AND status = 'finalized' AND overdue_since IS NOT NULL`, p)
	if err != nil {
		return nil, err
	}
	out = append(out, figure{Label: "overdue invoices", Value: itoa(overdue), Href: withQuery(rq.base()+"/invoices", "status", "finalized")})
	if rq.role.SeesCredentials() {
		failed, err := count(`SELECT COUNT(*) FROM webhook_deliveries WHERE project_id = ? AND status = 'failed'`, p)
		if err != nil {
			return nil, err
		}
		out = append(out, figure{Label: "failed webhook deliveries", Value: itoa(failed), Href: rq.base() + "/developers"})
	}
	ops, err := count(`SELECT COUNT(*) FROM operations WHERE project_id = ? AND status = 'failed'`, p)
	if err != nil {
		return nil, err
	}
	out = append(out, figure{Label: "failed carrier operations", Value: itoa(ops), Href: withQuery(rq.base()+"/events", "type", "com.cellgate.operation.failed")})
	return &answer{page: "overview", data: out}, nil
}

// revenue is the paid invoices' total per currency since a time.
func (c *Console) revenue(ctx context.Context, project string, since int64) (string, error) {
	rows, err := c.db.Query(ctx, `SELECT currency, SUM(total) FROM invoices WHERE project_id = ? AND status = 'paid' AND paid_at >= ? GROUP BY currency ORDER BY currency`, project, since)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	out := ""
	for rows.Next() {
		var cur string
		var sum int64
		if err := rows.Scan(&cur, &sum); err != nil {
			return "", err
		}
		if out != "" {
			out += ", "
		}
		out += formatMoney(sum, cur)
	}
	if out == "" {
		out = "0"
	}
	return out, rows.Err()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
