package subscriptions

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/sims"
	"cellgate/internal/store"
)

// Line is what the usage domain reads of a subscription: the SIM the
// carrier reports it by, its periods and its plan. Usage never changes a
// subscription except through MarkFirstUsage.
type Line struct {
	ID, Project, Status string
	SIMID, ICCID        string
	Provider            string
	PhoneNumber         string
	CreatedAt           time.Time
	ActivatedAt         *time.Time
	EndedAt             *time.Time
	FirstUsageAt        *time.Time
	// Period is the current (or, once ended, the last) period; nil before
	// activation.
	Period *Period
	Plan   *catalog.Plan
	r      *record
}

func usageLine(r *record, sim *sims.Record) *Line {
	l := &Line{ID: r.ID, Project: r.Project, Status: r.Status, SIMID: r.SIMID, PhoneNumber: r.PhoneNumber, CreatedAt: r.CreatedAt,
		ActivatedAt: r.ActivatedAt, EndedAt: r.EndedAt, FirstUsageAt: r.FirstUsageAt, Period: r.Period, Plan: r.plan, r: r}
	if sim != nil {
		l.ICCID, l.Provider = sim.ICCID, sim.Provider
	}
	return l
}

// LineOf reads one subscription as a line, locked in a write transaction.
func LineOf(ctx context.Context, q store.Querier, project, id string) (*Line, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	var sim *sims.Record
	if r.SIMID != "" {
		if sim, err = sims.GetRecord(ctx, q, project, r.SIMID); err != nil {
			return nil, err
		}
	}
	return usageLine(r, sim), nil
}

// lineColumns are what a line needs of a subscription row (aliased s):
// the ingest reads thousands per batch, so it skips the JSON columns.
const lineColumns = `s.id, s.project_id, s.plan_id, s.status, s.created_at, s.sim_id, s.phone_number, s.activated_at,
	s.anchor_at, s.anchor_period, s.period_number, s.period_start, s.period_end, s.ended_at, s.first_usage_at, m.iccid`

func scanLine(sc store.Scanner) (*record, string, error) {
	var (
		r                                      record
		created                                int64
		simID, phone                           sql.NullString
		activated, anchor, pStart, pEnd, ended sql.NullInt64
		firstUsage, anchorPeriod, number       sql.NullInt64
		iccid                                  string
	)
	err := sc.Scan(&r.ID, &r.Project, &r.PlanID, &r.Status, &created, &simID, &phone, &activated,
		&anchor, &anchorPeriod, &number, &pStart, &pEnd, &ended, &firstUsage, &iccid)
	r.CreatedAt, r.SIMID, r.PhoneNumber = store.Time(created), simID.String, phone.String
	r.ActivatedAt, r.AnchorAt, r.EndedAt, r.FirstUsageAt = store.NullTime(activated), store.NullTime(anchor), store.NullTime(ended), store.NullTime(firstUsage)
	r.AnchorPeriod = int(anchorPeriod.Int64)
	if number.Valid && pStart.Valid && pEnd.Valid {
		r.Period = &Period{Number: int(number.Int64), Start: store.Time(pStart.Int64), End: store.Time(pEnd.Int64)}
	}
	return &r, iccid, err
}

// LinesByICCID finds the subscriptions that ever ran on the provider's
// SIMs with these ICCIDs, by ICCID, oldest activation first. A SIM serves
// one subscription at a time, so a record's time picks among them.
func LinesByICCID(ctx context.Context, q store.Querier, project, provider string, iccids []string) (map[string][]*Line, error) {
	out := map[string][]*Line{}
	if len(iccids) == 0 {
		return out, nil
	}
	args := []any{project, provider}
	for _, i := range iccids {
		args = append(args, i)
	}
	in := `(?` + strings.Repeat(", ?", len(iccids)-1) + `)`
	args = append(args, args...)
	// The subscriptions on the SIMs now, and those the SIMs served before a
	// SIM swap moved them to another one.
	query := `SELECT ` + lineColumns + ` FROM sims m JOIN subscriptions s ON s.sim_id = m.id
		WHERE m.project_id = ? AND m.provider = ? AND m.iccid IN ` + in + ` AND s.activated_at IS NOT NULL
		UNION
		SELECT ` + lineColumns + ` FROM sims m JOIN subscription_sim_history h ON h.sim_id = m.id JOIN subscriptions s ON s.id = h.subscription_id
		WHERE m.project_id = ? AND m.provider = ? AND m.iccid IN ` + in + ` AND s.activated_at IS NOT NULL
		ORDER BY 16, 8, 1`
	type row struct {
		r     *record
		iccid string
	}
	rows, err := store.All(ctx, q, func(sc store.Scanner) (row, error) {
		r, iccid, err := scanLine(sc)
		return row{r, iccid}, err
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: lines by ICCID: %w", err)
	}
	for _, x := range rows {
		if x.r.plan, err = memoPlan(ctx, q, project, x.r.PlanID); err != nil {
			return nil, err
		}
		l := usageLine(x.r, nil)
		l.ICCID, l.Provider = x.iccid, provider
		out[x.iccid] = append(out[x.iccid], l)
	}
	return out, nil
}

// PeriodAt is the period that holds t: the current one, a later one when
// the renewal has not run yet, or an earlier one measured from the
// renewal anchor. Usage before the first period counts in the first; usage
// before a restart of the period (a restore) that no record opened yet
// counts in the period the restart ended, from t on. ok is false for a
// line that never started.
func (l *Line) PeriodAt(t time.Time) (Period, bool) {
	r := l.r
	if r.Period == nil || r.AnchorAt == nil {
		return Period{}, false
	}
	p := *r.Period
	if !t.Before(p.Start) {
		for r.Status != StatusEnded && !t.Before(p.End) && p.Number < r.Period.Number+400 {
			p = Period{Number: p.Number + 1, Start: p.End, End: r.periodEnd(p.Number + 1)}
		}
		return p, true
	}
	for p.Number > r.AnchorPeriod && t.Before(p.Start) {
		n := p.Number - 1
		start := *r.AnchorAt
		if n > r.AnchorPeriod {
			start = r.periodEnd(n - 1)
		}
		p = Period{Number: n, Start: start, End: p.Start}
	}
	switch {
	case !t.Before(p.Start):
		return p, true
	case p.Number == 1:
		return p, true
	}
	return Period{Number: p.Number - 1, Start: t, End: p.Start}, true
}

// MarkFirstUsage sets firstUsageAt to at when the subscription has none
// or a later one (usage reported late), and says whether it had none.
func MarkFirstUsage(ctx context.Context, tx *store.Tx, id string, at time.Time) (first bool, err error) {
	res, err := tx.Exec(ctx, `UPDATE subscriptions SET first_usage_at = ? WHERE id = ? AND first_usage_at IS NULL`, store.Micros(at), id)
	if err != nil {
		return false, fmt.Errorf("subscriptions: first usage of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	_, err = tx.Exec(ctx, `UPDATE subscriptions SET first_usage_at = ? WHERE id = ? AND first_usage_at > ?`, store.Micros(at), id, store.Micros(at))
	return false, err
}
