package subscriptions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/sims"
	"cellgate/internal/store"
)

const changeColumns = `id, project_id, subscription_id, plan_id, from_plan_id, sim_id, requested_sim, apply_when, status,
	scheduled_at, applied_at, failure_code, invoice_id, carrier_at, created_at`

func scanChange(row store.Scanner) (*changeRecord, error) {
	var (
		c                                      changeRecord
		plan, sim, requested, failure, invoice sql.NullString
		scheduled, applied, carrier            sql.NullInt64
		created                                int64
	)
	err := row.Scan(&c.ID, &c.Project, &c.Subscription, &plan, &c.FromPlanID, &sim, &requested, &c.When, &c.Status,
		&scheduled, &applied, &failure, &invoice, &carrier, &created)
	if err != nil {
		return nil, err
	}
	c.PlanID, c.SIMID, c.RequestedSIM, c.FailureCode, c.InvoiceID = plan.String, sim.String, requested.String, failure.String, invoice.String
	c.ScheduledAt, c.AppliedAt, c.CarrierAt, c.CreatedAt = store.NullTime(scheduled), store.NullTime(applied), store.NullTime(carrier), store.Time(created)
	return &c, nil
}

func insertChange(ctx context.Context, tx *store.Tx, c *changeRecord) error {
	_, err := tx.Exec(ctx, `INSERT INTO subscription_changes (`+changeColumns+`, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Project, c.Subscription, nullString(c.PlanID), c.FromPlanID, nullString(c.SIMID), nullString(c.RequestedSIM), c.When, c.Status,
		store.NullMicros(c.ScheduledAt), store.NullMicros(c.AppliedAt), nullString(c.FailureCode), nullString(c.InvoiceID),
		store.NullMicros(c.CarrierAt), store.Micros(c.CreatedAt), store.Micros(c.CreatedAt))
	if err != nil {
		if store.IsUniqueViolation(err) {
			return errs.Conflict("subscriptionChangeAlreadyPending", "The subscription %s already has a change in progress.", c.Subscription)
		}
		return fmt.Errorf("subscriptions: insert change: %w", err)
	}
	return nil
}

// saveChange writes a change's mutable columns.
func saveChange(ctx context.Context, tx *store.Tx, c *changeRecord, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE subscription_changes SET status = ?, scheduled_at = ?, applied_at = ?, failure_code = ?, invoice_id = ?,
		carrier_at = ?, updated_at = ? WHERE id = ?`, c.Status, store.NullMicros(c.ScheduledAt), store.NullMicros(c.AppliedAt),
		nullString(c.FailureCode), nullString(c.InvoiceID), store.NullMicros(c.CarrierAt), store.Micros(now), c.ID)
	if err != nil {
		return fmt.Errorf("subscriptions: save change %s: %w", c.ID, err)
	}
	return nil
}

// loadChange reads a change, locked in a write transaction. Its
// subscription, when the caller changes it too, must be locked first.
func loadChange(ctx context.Context, q store.Querier, project, id string) (*changeRecord, error) {
	return loadRow(ctx, q, scanChange, "subscription_changes", changeColumns, "subscriptionChange", project, id)
}

// loadRow reads the row id of table, locked in a write transaction.
func loadRow[T any](ctx context.Context, q store.Querier, scan func(store.Scanner) (T, error), table, columns, object, project, id string) (T, error) {
	v, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM `+table+` WHERE id = ? AND project_id = ?`+store.LockInTx(q), id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return v, errs.NotFound(object, id)
	}
	if err != nil {
		return v, fmt.Errorf("subscriptions: load %s %s: %w", object, id, err)
	}
	return v, nil
}

// changeOf finds the change of a subscription that matches cond; nil
// when there is none.
func changeOf(ctx context.Context, q store.Querier, cond string, args ...any) (*changeRecord, error) {
	c, err := scanChange(q.QueryRow(ctx, `SELECT `+changeColumns+` FROM subscription_changes WHERE `+cond+store.LockInTx(q), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("subscriptions: find change: %w", err)
	}
	return c, nil
}

// openChange is the id of the subscription's change in progress; "" when
// none.
func openChange(ctx context.Context, q store.Querier, subscription string) (string, error) {
	c, err := changeOf(ctx, q, `subscription_id = ? AND status IN ('pending', 'initiated')`, subscription)
	if c == nil || err != nil {
		return "", err
	}
	return c.ID, nil
}

// changeView renders a change.
func changeView(ctx context.Context, q store.Querier, c *changeRecord) (*Change, error) {
	v := &Change{Object: "subscriptionChange", ID: c.ID, AppliedAt: c.AppliedAt, CreatedAt: c.CreatedAt, ScheduledAt: c.ScheduledAt,
		Status: c.Status, Subscription: c.Subscription, RequestedChange: RequestedChange{When: c.When}}
	if c.FailureCode != "" {
		code := c.FailureCode
		v.FailureCode = &code
	}
	if c.PlanID != "" {
		plan, err := catalog.GetPlan(ctx, q, c.Project, c.PlanID)
		if err != nil {
			return nil, err
		}
		id := c.PlanID
		v.Plan, v.RequestedChange.Plan = plan, &id
	}
	if c.SIMID != "" {
		sim, err := sims.Get(ctx, q, c.Project, c.SIMID)
		if err != nil {
			return nil, err
		}
		requested := c.RequestedSIM
		v.SIM, v.RequestedChange.SIM = sim, &requested
	}
	return v, nil
}

// GetChange reads a change of the project.
func GetChange(ctx context.Context, q store.Querier, project, id string) (*Change, error) {
	c, err := loadChange(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return changeView(ctx, q, c)
}

// ChangeFilter narrows a change list; empty fields do not filter.
type ChangeFilter struct {
	Subscription, Status string
}

// ChangeStatuses are the values of the status filter.
var ChangeStatuses = []string{ChangePending, ChangeInitiated, ChangeApplied, ChangeFailed, ChangeDeleted}

// ListChanges pages through the project's changes, newest first.
func ListChanges(ctx context.Context, q store.Querier, project string, f ChangeFilter, p store.Page) (store.PageOf[*Change], error) {
	lq := &store.ListQuery{Select: `SELECT ` + changeColumns + ` FROM subscription_changes`}
	lq.Where("project_id = ?", project)
	if f.Subscription != "" {
		lq.Where("subscription_id = ?", f.Subscription)
	}
	if f.Status != "" {
		lq.Where("status = ?", f.Status)
	}
	page, err := store.List(ctx, q, lq, p, func(rows *sql.Rows) (*changeRecord, string, error) {
		c, err := scanChange(rows)
		if err != nil {
			return nil, "", err
		}
		return c, c.ID, nil
	})
	return viewPage(page, err, func(r *changeRecord) (*Change, error) { return changeView(ctx, q, r) })
}

// ChangeExists answers notFound unless the project has the change; the
// cheap check before a body is read.
func ChangeExists(ctx context.Context, q store.Querier, project, id string) error {
	return exists(ctx, q, "subscription_changes", "subscriptionChange", project, id)
}
