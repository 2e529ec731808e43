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
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// CreateAddon adds an add-on. type defaults to topUp, status to
// available, recurrenceType to oneTime, activationTrigger to creation.
func CreateAddon(ctx context.Context, tx *store.Tx, project string, in AddonInput, providers []string, now time.Time) (*Addon, error) {
	if err := in.required(); err != nil {
		return nil, err
	}
	a := &Addon{Object: "addon", ID: ids.New(AddonPrefix), CreatedAt: now, Status: StatusAvailable, Type: AddonTopUp,
		RecurrenceType: RecurrenceOneTime, ActivationTrigger: TriggerCreation}
	if err := in.applyTo(a, providers); err != nil {
		return nil, err
	}
	if in.Status.Set {
		if err := validate.OneOf("status", in.Status.Value, AddonStatuses...); err != nil {
			return nil, err
		}
		a.Status = in.Status.Value
	}
	if err := checkAddonPlans(ctx, tx, project, a); err != nil {
		return nil, err
	}
	md, err := metadata.ApplyField(nil, in.Metadata)
	if err != nil {
		return nil, err
	}
	a.Metadata = md
	if _, err := tx.Exec(ctx, `INSERT INTO addons (id, project_id, name, description, type, status, price_amount, price_currency, provider,
		plans, allowances, validity, recurrence_type, activation_trigger, coverage, metadata, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{a.ID, project}, append(addonValues(a), store.Micros(now), store.Micros(now))...)...); err != nil {
		return nil, fmt.Errorf("catalog: create add-on: %w", err)
	}
	return a, events.Record(ctx, tx, project, "addon.created", a.ID, a, now)
}

// addonValues are the stored columns from name to metadata, in order.
func addonValues(a *Addon) []any {
	return []any{a.Name, a.Description, a.Type, a.Status, a.Price.Amount, a.Price.Currency, a.Provider, store.JSON(a.Plans),
		store.JSON(a.Allowances), store.NullJSON(a.Validity), a.RecurrenceType, a.ActivationTrigger, a.Coverage, metadata.Marshal(a.Metadata)}
}

// checkAddonPlans holds that every compatible plan exists in the project
// and runs on the add-on's provider.
func checkAddonPlans(ctx context.Context, tx *store.Tx, project string, a *Addon) error {
	for i, id := range a.Plans {
		p, err := GetPlan(ctx, tx, project, id)
		if errs.IsKind(err, errs.KindNotFound) {
			return errs.Invalid("planNotFound", "plans[%d]: the plan %q does not exist.", i, id)
		}
		if err != nil {
			return err
		}
		if p.Provider != a.Provider {
			return errs.Invalid("addonProviderMismatch", "plans[%d]: the plan %s runs on %s, the add-on on %s.", i, id, p.Provider, a.Provider)
		}
		if a.Price.Currency != p.Price.Currency {
			return errs.Invalid("addonCurrencyMismatch", "plans[%d]: the plan %s is priced in %s, the add-on in %s.", i, id, p.Price.Currency, a.Price.Currency)
		}
	}
	return nil
}

// UpdateAddon applies a PATCH. An add-on that was bought keeps its price,
// allowances, validity and provider: archive it and create another.
func UpdateAddon(ctx context.Context, tx *store.Tx, project, id string, in AddonInput, providers []string, now time.Time) (*Addon, error) {
	before, err := LockAddon(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	after := *before
	if err := in.applyTo(&after, providers); err != nil {
		return nil, err
	}
	if after.Status, err = moveStatus("addonStatusTransitionInvalid", "An add-on", before.Status, in.Status, addonMoves, AddonStatuses...); err != nil {
		return nil, err
	}
	if err := checkAddonPlans(ctx, tx, project, &after); err != nil {
		return nil, err
	}
	if after.Metadata, err = metadata.ApplyField(before.Metadata, in.Metadata); err != nil {
		return nil, err
	}
	terms := func(a *Addon) string { return string(store.JSON([]any{a.Price, a.Allowances, a.Validity, a.Provider})) }
	if terms(&after) != terms(before) {
		if used, err := addonBought(ctx, tx, id); err != nil || used {
			if err != nil {
				return nil, err
			}
			return nil, errs.Conflict("addonInUse", "The add-on has been bought, so its price, allowances, validity and provider cannot change.").
				WithHint("Archive this add-on (status: archived) and create a new one with the new terms.")
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE addons SET name = ?, description = ?, type = ?, status = ?, price_amount = ?, price_currency = ?,
		provider = ?, plans = ?, allowances = ?, validity = ?, recurrence_type = ?, activation_trigger = ?, coverage = ?, metadata = ?,
		updated_at = ? WHERE id = ? AND project_id = ?`, append(addonValues(&after), store.Micros(now), id, project)...); err != nil {
		return nil, fmt.Errorf("catalog: update add-on %s: %w", id, err)
	}
	return &after, events.RecordUpdate(ctx, tx, project, "addon.updated", id, before, &after, now)
}

// addonBought reports whether the add-on was ever bought.
func addonBought(ctx context.Context, q store.Querier, id string) (bool, error) {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM subscription_addons WHERE addon_id = ? LIMIT 1`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

const addonColumns = `id, name, description, type, status, price_amount, price_currency, provider, plans, allowances, validity,
	recurrence_type, activation_trigger, coverage, metadata, created_at`

func scanAddon(row store.Scanner) (*Addon, error) {
	var (
		a                     Addon
		description, coverage sql.NullString
		validity              sql.NullString
		plans, allowances, md string
		createdAt             int64
	)
	if err := row.Scan(&a.ID, &a.Name, &description, &a.Type, &a.Status, &a.Price.Amount, &a.Price.Currency, &a.Provider, &plans,
		&allowances, &validity, &a.RecurrenceType, &a.ActivationTrigger, &coverage, &md, &createdAt); err != nil {
		return nil, err
	}
	a.Object, a.CreatedAt = "addon", store.Time(createdAt)
	if description.Valid {
		a.Description = &description.String
	}
	if coverage.Valid {
		a.Coverage = &coverage.String
	}
	err := errors.Join(json.Unmarshal([]byte(plans), &a.Plans), json.Unmarshal([]byte(allowances), &a.Allowances),
		store.ScanNullJSON(validity, &a.Validity))
	if err != nil {
		return nil, err
	}
	a.Metadata, err = metadata.Unmarshal(md)
	return &a, err
}

// GetAddon reads an add-on of the project, share-locked in a write
// transaction like a plan.
func GetAddon(ctx context.Context, q store.Querier, project, id string) (*Addon, error) {
	return getAddon(ctx, q, project, id, store.ShareInTx(q))
}

// LockAddon reads an add-on to change it.
func LockAddon(ctx context.Context, tx *store.Tx, project, id string) (*Addon, error) {
	return getAddon(ctx, tx, project, id, tx.Dialect().ForUpdate())
}

func getAddon(ctx context.Context, q store.Querier, project, id, lock string) (*Addon, error) {
	return getRow(ctx, q, scanAddon, "addons", addonColumns, "addon", project, id, lock)
}

// AddonFilter narrows an add-on list; empty fields do not filter.
type AddonFilter struct {
	Status, Provider, Plan string
}

// ListAddons pages through the project's add-ons, newest first.
func ListAddons(ctx context.Context, q store.Querier, project string, f AddonFilter, p store.Page) (store.PageOf[*Addon], error) {
	lq := &store.ListQuery{Select: `SELECT ` + addonColumns + ` FROM addons`}
	lq.Where("project_id = ?", project)
	if f.Status != "" {
		lq.Where("status = ?", f.Status)
	}
	if f.Provider != "" {
		lq.Where("provider = ?", f.Provider)
	}
	if f.Plan != "" {
		// plans is a JSON array of ids: no quote in them, and the "_" of a
		// prefix, a LIKE wildcard, is in the same place in every plan id.
		lq.Where("plans LIKE ?", `%"`+f.Plan+`"%`)
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Addon, string, error) {
		a, err := scanAddon(rows)
		if err != nil {
			return nil, "", err
		}
		return a, a.ID, nil
	})
}
