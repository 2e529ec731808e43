package subscriptions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/metadata"
	"cellgate/internal/porting"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/users"
)

const columns = `id, project_id, plan_id, user_id, status, created_at, sim_id, user_address_id, phone_number, activated_at,
	anchor_at, anchor_period, period_number, period_start, period_end, canceled_at, ended_at, cancellation, metadata,
	billed, billing_overdue_days, billing_overdue_action, first_usage_at, porting_id`

func scan(row interface{ Scan(...any) error }) (*record, error) {
	var (
		r                                     record
		createdAt                             int64
		simID, addressID, phone, cancellation sql.NullString
		activated, anchor, pStart, pEnd       sql.NullInt64
		canceled, ended, firstUsage           sql.NullInt64
		anchorPeriod, periodNumber            sql.NullInt64
		md                                    string
		overdueDays                           sql.NullInt64
		overdueAction, portingID              sql.NullString
	)
	err := row.Scan(&r.ID, &r.Project, &r.PlanID, &r.UserID, &r.Status, &createdAt, &simID, &addressID, &phone, &activated,
		&anchor, &anchorPeriod, &periodNumber, &pStart, &pEnd, &canceled, &ended, &cancellation, &md,
		&r.Billed, &overdueDays, &overdueAction, &firstUsage, &portingID)
	if err != nil {
		return nil, err
	}
	r.CreatedAt = store.Time(createdAt)
	r.SIMID, r.AddressID, r.PhoneNumber, r.PortingID = simID.String, addressID.String, phone.String, portingID.String
	r.ActivatedAt, r.AnchorAt = store.NullTime(activated), store.NullTime(anchor)
	r.AnchorPeriod = int(anchorPeriod.Int64)
	r.CanceledAt, r.EndedAt, r.FirstUsageAt = store.NullTime(canceled), store.NullTime(ended), store.NullTime(firstUsage)
	if overdueDays.Valid {
		d := int(overdueDays.Int64)
		r.OverdueDays = &d
	}
	if overdueAction.Valid {
		r.OverdueAction = &overdueAction.String
	}
	if periodNumber.Valid && pStart.Valid && pEnd.Valid {
		r.Period = &Period{Number: int(periodNumber.Int64), Start: store.Time(pStart.Int64), End: store.Time(pEnd.Int64)}
	}
	if err := store.ScanNullJSON(cancellation, &r.Cancellation); err != nil {
		return nil, err
	}
	r.Metadata, err = metadata.Unmarshal(md)
	return &r, err
}

// load reads a subscription with its plan. Inside a write transaction the
// row is locked (PostgreSQL), so concurrent changes to one subscription
// take turns; SQLite's single writer already serialises them.
func load(ctx context.Context, q store.Querier, project, id string) (*record, error) {
	lock := store.LockInTx(q)
	r, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM subscriptions WHERE id = ? AND project_id = ?`+lock, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("subscription", id)
	}
	if err != nil {
		return nil, fmt.Errorf("subscriptions: load %s: %w", id, err)
	}
	if r.plan, err = memoPlan(ctx, q, project, r.PlanID); err != nil {
		return nil, err
	}
	return r, nil
}

// memoPlan reads a plan once per batch of timers: a plan in use does not
// change under its subscriptions' scheduled work.
func memoPlan(ctx context.Context, q store.Querier, project, id string) (*catalog.Plan, error) {
	return timeline.Memo(ctx, q, "plan/"+id, func() (*catalog.Plan, error) { return catalog.GetPlan(ctx, q, project, id) })
}

func insert(ctx context.Context, tx *store.Tx, r *record) error {
	values := append([]any{r.ID, r.Project, r.PlanID, r.UserID}, mutableValues(r)...)
	values = append(values, r.Billed, r.OverdueDays, r.OverdueAction, store.NullMicros(r.FirstUsageAt), nullString(r.PortingID), store.Micros(r.CreatedAt))
	_, err := tx.Exec(ctx, `INSERT INTO subscriptions (`+columns+`, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, values...)
	if err != nil {
		return fmt.Errorf("subscriptions: insert: %w", err)
	}
	return nil
}

// mutableValues are the columns from status to metadata in column order,
// with created_at in its place.
func mutableValues(r *record) []any {
	var pNum, pStart, pEnd sql.NullInt64
	if r.Period != nil {
		pNum = sql.NullInt64{Int64: int64(r.Period.Number), Valid: true}
		pStart = sql.NullInt64{Int64: store.Micros(r.Period.Start), Valid: true}
		pEnd = sql.NullInt64{Int64: store.Micros(r.Period.End), Valid: true}
	}
	return []any{r.Status, store.Micros(r.CreatedAt), nullString(r.SIMID), nullString(r.AddressID), nullString(r.PhoneNumber),
		store.NullMicros(r.ActivatedAt), store.NullMicros(r.AnchorAt), sql.NullInt64{Int64: int64(r.AnchorPeriod), Valid: r.AnchorAt != nil},
		pNum, pStart, pEnd, store.NullMicros(r.CanceledAt), store.NullMicros(r.EndedAt), store.NullJSON(r.Cancellation),
		metadata.Marshal(r.Metadata)}
}

// save writes every mutable column back.
func save(ctx context.Context, tx *store.Tx, r *record, now time.Time) error {
	v := mutableValues(r)
	_, err := tx.Exec(ctx, `UPDATE subscriptions SET status = ?, created_at = ?, sim_id = ?, user_address_id = ?, phone_number = ?,
		activated_at = ?, anchor_at = ?, anchor_period = ?, period_number = ?, period_start = ?, period_end = ?, canceled_at = ?,
		ended_at = ?, cancellation = ?, metadata = ?, updated_at = ? WHERE id = ?`, append(v, store.Micros(now), r.ID)...)
	if err != nil {
		return fmt.Errorf("subscriptions: save %s: %w", r.ID, err)
	}
	return nil
}

// savePlanAndSIM writes the two columns a change moves; save writes the
// rest.
func savePlanAndSIM(ctx context.Context, tx *store.Tx, r *record, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE subscriptions SET plan_id = ?, sim_id = ?, updated_at = ? WHERE id = ?`, r.PlanID, r.SIMID, store.Micros(now), r.ID)
	if err != nil {
		return fmt.Errorf("subscriptions: save plan of %s: %w", r.ID, err)
	}
	return nil
}

// savePeriod writes the current period alone.
func savePeriod(ctx context.Context, tx *store.Tx, r *record, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE subscriptions SET period_number = ?, period_start = ?, period_end = ?, updated_at = ? WHERE id = ?`,
		r.Period.Number, store.Micros(r.Period.Start), store.Micros(r.Period.End), store.Micros(now), r.ID)
	if err != nil {
		return fmt.Errorf("subscriptions: save period of %s: %w", r.ID, err)
	}
	return nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// view renders the API representation as of now.
func view(ctx context.Context, q store.Querier, r *record, now time.Time) (*Subscription, error) {
	u, err := timeline.Memo(ctx, q, "user/"+r.UserID, func() (*users.User, error) {
		return users.GetIncludingDeleted(ctx, q, r.Project, r.UserID)
	})
	if err != nil {
		return nil, err
	}
	v := &Subscription{
		Object: "subscription", ID: r.ID, ActivatedAt: r.ActivatedAt, CanceledAt: r.CanceledAt,
		CancellationDetails: r.Cancellation, CreatedAt: r.CreatedAt, EarliestEndAt: r.earliestEnd(now), EndedAt: r.EndedAt,
		Metadata: r.Metadata, Plan: r.plan, Status: r.Status, User: u, FirstUsageAt: r.FirstUsageAt,
	}
	if r.PortingID != "" {
		p, err := porting.Embedded(ctx, q, r.Project, r.PortingID)
		if err != nil {
			return nil, err
		}
		v.Porting, v.LastPorting = p, p
	}
	if r.Billed {
		v.Billing = &BillingView{InvoiceOverdueDays: r.OverdueDays, InvoiceOverdueAction: r.OverdueAction}
	}
	if r.live() {
		p := *r.Period
		v.CurrentPeriod = &p
	}
	if r.PhoneNumber != "" {
		v.PhoneNumber = &r.PhoneNumber
	}
	if r.AddressID != "" {
		v.UserAddress = &r.AddressID
	}
	// The SIM shows once the provider has activated the line (seed 002).
	if r.SIMID != "" && r.ActivatedAt != nil {
		if v.SIM, err = sims.Get(ctx, q, r.Project, r.SIMID); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Get reads a subscription as of the project's clock now.
func Get(ctx context.Context, q store.Querier, project, id string, now time.Time) (*Subscription, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return view(ctx, q, r, now)
}

// Filter narrows a subscription list.
type Filter struct {
	User        string
	Status      string
	Plan        string
	PhoneNumber string
	SIM         string
	// Provider keeps the subscriptions whose plan runs on it.
	Provider string
}

// List pages through the project's subscriptions, newest first.
func List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page, now time.Time) (store.PageOf[*Subscription], error) {
	lq := &store.ListQuery{Select: `SELECT ` + columns + ` FROM subscriptions`}
	lq.Where("project_id = ?", project)
	for _, c := range []struct{ col, v string }{{"user_id", f.User}, {"status", f.Status}, {"plan_id", f.Plan}, {"phone_number", f.PhoneNumber}, {"sim_id", f.SIM}} {
		if c.v != "" {
			lq.Where(c.col+" = ?", c.v)
		}
	}
	if f.Provider != "" {
		lq.Where("plan_id IN (SELECT id FROM plans WHERE project_id = ? AND provider = ?)", project, f.Provider)
	}
	page, err := store.List(ctx, q, lq, p, func(rows *sql.Rows) (*record, string, error) {
		r, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		return r, r.ID, nil
	})
	out := store.PageOf[*Subscription]{MoreAfter: page.MoreAfter, MoreBefore: page.MoreBefore, Items: make([]*Subscription, 0, len(page.Items))}
	if err != nil {
		return out, err
	}
	plans := map[string]*catalog.Plan{}
	for _, r := range page.Items {
		if r.plan = plans[r.PlanID]; r.plan == nil {
			if r.plan, err = catalog.GetPlan(ctx, q, project, r.PlanID); err != nil {
				return out, err
			}
			plans[r.PlanID] = r.plan
		}
		v, err := view(ctx, q, r, now)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// Exists answers notFound unless the project has the subscription; it is
// the cheap check that runs before a request body is read.
func Exists(ctx context.Context, q store.Querier, project, id string) error {
	return exists(ctx, q, "subscriptions", "subscription", project, id)
}

// exists answers notFound unless the project has the row id in table.
func exists(ctx context.Context, q store.Querier, table, object, project, id string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = ? AND project_id = ?`, id, project).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFound(object, id)
	}
	return err
}

// viewPage renders a page of records with view.
func viewPage[R, V any](page store.PageOf[R], err error, view func(R) (V, error)) (store.PageOf[V], error) {
	out := store.PageOf[V]{MoreAfter: page.MoreAfter, MoreBefore: page.MoreBefore, Items: make([]V, 0, len(page.Items))}
	if err != nil {
		return out, err
	}
	for _, r := range page.Items {
		v, err := view(r)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}
