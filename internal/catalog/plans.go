package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/metadata"
	"cellgate/internal/optional"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// statusMoves lists the status changes an operator may make. A plan that
// has been offered cannot go back to draft; an archived plan may be offered
// again.
var statusMoves = map[string][]string{
	StatusDraft:     {StatusPending, StatusAvailable, StatusArchived},
	StatusPending:   {StatusDraft, StatusAvailable, StatusArchived},
	StatusAvailable: {StatusArchived},
	StatusArchived:  {StatusAvailable},
}

// CreatePlan adds a plan; status defaults to available.
func CreatePlan(ctx context.Context, tx *store.Tx, project string, in PlanInput, providers []string, now time.Time) (*Plan, error) {
	if err := in.required(); err != nil {
		return nil, err
	}
	p := &Plan{Object: "plan", ID: ids.New(ids.Plan), CreatedAt: now, Status: StatusAvailable}
	p.Requirements, _ = RequirementsInput{}.build() // all none; cannot fail
	if err := in.applyTo(p, providers); err != nil {
		return nil, err
	}
	if in.Status.Set {
		if err := validate.OneOf("status", in.Status.Value, StatusDraft, StatusPending, StatusAvailable, StatusArchived); err != nil {
			return nil, err
		}
		p.Status = in.Status.Value
	}
	md, err := metadata.ApplyField(nil, in.Metadata)
	if err != nil {
		return nil, err
	}
	p.Metadata = md
	if _, err := tx.Exec(ctx, `INSERT INTO plans (id, project_id, name, description, image, provider, sim_esim, sim_psim,
		price_amount, price_currency, allowances, limits, requirements, validity, coverage, status, metadata, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{p.ID, project}, append(planValues(p), store.Micros(now), store.Micros(now))...)...); err != nil {
		return nil, fmt.Errorf("catalog: create plan: %w", err)
	}
	return p, events.Record(ctx, tx, project, "plan.created", p.ID, p, now)
}

// planValues are the stored columns from name to metadata, in order.
func planValues(p *Plan) []any {
	return []any{p.Name, p.Description, p.Image, p.Provider, p.HasSIMType(SIMTypeESIM), p.HasSIMType(SIMTypePSIM),
		p.Price.Amount, p.Price.Currency, store.JSON(p.Allowances), store.NullJSON(p.Limits), store.JSON(p.Requirements),
		store.JSON(p.Validity), store.NullJSON(p.Coverage), p.Status, metadata.Marshal(p.Metadata)}
}

// UpdatePlan applies a PATCH. A plan with live subscriptions keeps its
// price, validity and provider: those are what its subscribers signed up
// for. Archive it and create a new plan instead.
func UpdatePlan(ctx context.Context, tx *store.Tx, project, id string, in PlanInput, providers []string, now time.Time) (*Plan, error) {
	before, err := LockPlan(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	after := *before
	if err := in.applyTo(&after, providers); err != nil {
		return nil, err
	}
	if after.Status, err = moveStatus("planStatusTransitionInvalid", "A plan", before.Status, in.Status, statusMoves, StatusDraft, StatusPending, StatusAvailable, StatusArchived); err != nil {
		return nil, err
	}
	if after.Metadata, err = metadata.ApplyField(before.Metadata, in.Metadata); err != nil {
		return nil, err
	}
	if after.Price != before.Price || after.Validity != before.Validity || after.Provider != before.Provider {
		inUse, err := PlanInUse(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if inUse {
			return nil, errs.Conflict("planInUse", "The plan has subscriptions, so its price, validity and provider cannot change.").
				WithHint("Archive this plan (status: archived) and create a new one with the new terms.")
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE plans SET name = ?, description = ?, image = ?, provider = ?, sim_esim = ?, sim_psim = ?,
		price_amount = ?, price_currency = ?, allowances = ?, limits = ?, requirements = ?, validity = ?, coverage = ?, status = ?,
		metadata = ?, updated_at = ? WHERE id = ? AND project_id = ?`,
		append(planValues(&after), store.Micros(now), id, project)...); err != nil {
		return nil, fmt.Errorf("catalog: update plan %s: %w", id, err)
	}
	return &after, events.RecordUpdate(ctx, tx, project, "plan.updated", id, before, &after, now)
}

// moveStatus is the status a PATCH asks for, checked against the moves
// an operator may make: a catalog item's status only moves forward.
// The error is code, saying what ("A plan") cannot go where.
func moveStatus(code, what, from string, to optional.Value[string], moves map[string][]string, statuses ...string) (string, error) {
	if !to.Set || to.Value == from {
		return from, nil
	}
	if err := validate.OneOf("status", to.Value, statuses...); err != nil {
		return "", err
	}
	if !contains(moves[from], to.Value) {
		return "", errs.Invalid(code, "%s cannot go from %s to %s.", what, from, to.Value)
	}
	return to.Value, nil
}

// PlanInUse reports whether any subscription that has not ended uses the plan.
func PlanInUse(ctx context.Context, q store.Querier, planID string) (bool, error) {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM subscriptions WHERE plan_id = ? AND status <> 'ended' LIMIT 1`, planID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("catalog: plan in use: %w", err)
	}
	return true, nil
}

const planColumns = `id, name, description, image, provider, sim_esim, sim_psim, price_amount, price_currency,
	allowances, limits, requirements, validity, coverage, status, metadata, created_at`

func scanPlan(row store.Scanner) (*Plan, error) {
	var (
		p                        Plan
		description, image       sql.NullString
		esim, psim               bool
		allowances, requirements string
		validity, md             string
		limits, coverage         sql.NullString
		createdAt                int64
	)
	if err := row.Scan(&p.ID, &p.Name, &description, &image, &p.Provider, &esim, &psim, &p.Price.Amount, &p.Price.Currency,
		&allowances, &limits, &requirements, &validity, &coverage, &p.Status, &md, &createdAt); err != nil {
		return nil, err
	}
	p.Object, p.CreatedAt = "plan", store.Time(createdAt)
	if description.Valid {
		p.Description = &description.String
	}
	if image.Valid {
		p.Image = &image.String
	}
	p.SimTypes = []string{}
	if esim {
		p.SimTypes = append(p.SimTypes, SIMTypeESIM)
	}
	if psim {
		p.SimTypes = append(p.SimTypes, SIMTypePSIM)
	}
	err := errors.Join(
		json.Unmarshal([]byte(allowances), &p.Allowances),
		json.Unmarshal([]byte(requirements), &p.Requirements),
		json.Unmarshal([]byte(validity), &p.Validity),
		store.ScanNullJSON(limits, &p.Limits),
		store.ScanNullJSON(coverage, &p.Coverage),
	)
	if err != nil {
		return nil, err
	}
	p.Metadata, err = metadata.Unmarshal(md)
	return &p, err
}

// GetPlan reads a plan of the project. In a write transaction the row is
// share-locked: subscriptions being created or renewed on the plan read it
// side by side, and a PATCH of the plan (LockPlan) waits for them.
func GetPlan(ctx context.Context, q store.Querier, project, id string) (*Plan, error) {
	return getPlan(ctx, q, project, id, store.ShareInTx(q))
}

// LockPlan reads a plan to change it, locking its row.
func LockPlan(ctx context.Context, tx *store.Tx, project, id string) (*Plan, error) {
	return getPlan(ctx, tx, project, id, tx.Dialect().ForUpdate())
}

func getPlan(ctx context.Context, q store.Querier, project, id, lock string) (*Plan, error) {
	return getRow(ctx, q, scanPlan, "plans", planColumns, "plan", project, id, lock)
}

// getRow reads the row id of a catalog table; lock is the locking clause.
func getRow[T any](ctx context.Context, q store.Querier, scan func(store.Scanner) (T, error), table, columns, object, project, id, lock string) (T, error) {
	v, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM `+table+` WHERE id = ? AND project_id = ?`+lock, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return v, errs.NotFound(object, id)
	}
	if err != nil {
		return v, fmt.Errorf("catalog: get %s %s: %w", object, id, err)
	}
	return v, nil
}

// PlanFilter narrows a plan list; empty fields do not filter.
type PlanFilter struct {
	SIMType  string
	Status   string
	Provider string
}

// ListPlans pages through the project's plans, newest first.
func ListPlans(ctx context.Context, q store.Querier, project string, f PlanFilter, p store.Page) (store.PageOf[*Plan], error) {
	lq := &store.ListQuery{Select: `SELECT ` + planColumns + ` FROM plans`}
	lq.Where("project_id = ?", project)
	switch f.SIMType {
	case SIMTypeESIM:
		lq.Where("sim_esim = ?", true)
	case SIMTypePSIM:
		lq.Where("sim_psim = ?", true)
	}
	if f.Status != "" {
		lq.Where("status = ?", f.Status)
	}
	if f.Provider != "" {
		lq.Where("provider = ?", f.Provider)
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Plan, string, error) {
		pl, err := scanPlan(rows)
		if err != nil {
			return nil, "", err
		}
		return pl, pl.ID, nil
	})
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
