package subscriptions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/store"
)

const addonColumns = `id, project_id, subscription_id, addon_id, user_id, status, period_start, period_end, activated_at,
	canceled_at, ended_at, invoice_id, created_at`

func scanAddonRecord(row store.Scanner) (*addonRecord, error) {
	var (
		a                                  addonRecord
		start, end, activated, canceled, e sql.NullInt64
		invoice                            sql.NullString
		created                            int64
	)
	err := row.Scan(&a.ID, &a.Project, &a.Subscription, &a.AddonID, &a.User, &a.Status, &start, &end, &activated, &canceled, &e,
		&invoice, &created)
	if err != nil {
		return nil, err
	}
	if start.Valid && end.Valid {
		a.Period = &Period{Number: 1, Start: store.Time(start.Int64), End: store.Time(end.Int64)}
	}
	a.ActivatedAt, a.CanceledAt, a.EndedAt = store.NullTime(activated), store.NullTime(canceled), store.NullTime(e)
	a.InvoiceID, a.CreatedAt = invoice.String, store.Time(created)
	return &a, nil
}

func insertAddon(ctx context.Context, tx *store.Tx, a *addonRecord) error {
	_, err := tx.Exec(ctx, `INSERT INTO subscription_addons (id, project_id, subscription_id, addon_id, user_id, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.Project, a.Subscription, a.AddonID, a.User, a.Status, store.Micros(a.CreatedAt), store.Micros(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("subscriptions: insert add-on: %w", err)
	}
	return nil
}

func saveAddon(ctx context.Context, tx *store.Tx, a *addonRecord, now time.Time) error {
	var start, end sql.NullInt64
	if a.Period != nil {
		start = sql.NullInt64{Int64: store.Micros(a.Period.Start), Valid: true}
		end = sql.NullInt64{Int64: store.Micros(a.Period.End), Valid: true}
	}
	_, err := tx.Exec(ctx, `UPDATE subscription_addons SET status = ?, period_start = ?, period_end = ?, activated_at = ?, canceled_at = ?,
		ended_at = ?, invoice_id = ?, updated_at = ? WHERE id = ?`, a.Status, start, end, store.NullMicros(a.ActivatedAt),
		store.NullMicros(a.CanceledAt), store.NullMicros(a.EndedAt), nullString(a.InvoiceID), store.Micros(now), a.ID)
	if err != nil {
		return fmt.Errorf("subscriptions: save add-on %s: %w", a.ID, err)
	}
	return nil
}

// loadAddon reads a subscription add-on, locked in a write transaction.
func loadAddon(ctx context.Context, q store.Querier, project, id string) (*addonRecord, error) {
	return loadRow(ctx, q, scanAddonRecord, "subscription_addons", addonColumns, "subscriptionAddon", project, id)
}

// addonsOf reads a subscription's add-ons that match cond, oldest first,
// locked in a write transaction.
func addonsOf(ctx context.Context, tx *store.Tx, subscription, cond string) ([]*addonRecord, error) {
	return store.All(ctx, tx, scanAddonRecord, `SELECT `+addonColumns+` FROM subscription_addons WHERE subscription_id = ? AND `+cond+
		` ORDER BY id`+store.LockInTx(tx), subscription)
}

// addonOfInvoice locks the initiated add-on waiting for an invoice, with
// its subscription first; nil when none waits.
func addonOfInvoice(ctx context.Context, tx *store.Tx, project, invoice string) (*record, *addonRecord, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM subscription_addons WHERE project_id = ? AND invoice_id = ? AND status = 'initiated'`,
		project, invoice).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("subscriptions: add-on of invoice %s: %w", invoice, err)
	}
	r, rec, err := lockAddon(ctx, tx, project, id)
	if err != nil || rec.Status != AddonInitiated {
		return nil, nil, err
	}
	return r, rec, nil
}

// addonView renders a subscription add-on.
func addonView(ctx context.Context, q store.Querier, a *addonRecord) (*SubscriptionAddon, error) {
	addon, err := catalog.GetAddon(ctx, q, a.Project, a.AddonID)
	if err != nil {
		return nil, err
	}
	v := &SubscriptionAddon{Object: "subscriptionAddon", ID: a.ID, ActivatedAt: a.ActivatedAt, Addon: addon, CanceledAt: a.CanceledAt,
		CreatedAt: a.CreatedAt, EndedAt: a.EndedAt, Status: a.Status, Subscription: a.Subscription, User: a.User}
	if a.Status == AddonActive && a.Period != nil {
		p := *a.Period
		v.CurrentPeriod = &p
	}
	return v, nil
}

// GetAddon reads a subscription add-on of the project.
func GetAddon(ctx context.Context, q store.Querier, project, id string) (*SubscriptionAddon, error) {
	a, err := loadAddon(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return addonView(ctx, q, a)
}

// AddonFilter narrows a subscription add-on list; empty fields do not
// filter.
type AddonFilter struct {
	Subscription, Addon, Status string
}

// ListAddons pages through the project's subscription add-ons, newest
// first.
func ListAddons(ctx context.Context, q store.Querier, project string, f AddonFilter, p store.Page) (store.PageOf[*SubscriptionAddon], error) {
	lq := &store.ListQuery{Select: `SELECT ` + addonColumns + ` FROM subscription_addons`}
	lq.Where("project_id = ?", project)
	for _, c := range []struct{ col, v string }{{"subscription_id", f.Subscription}, {"addon_id", f.Addon}, {"status", f.Status}} {
		if c.v != "" {
			lq.Where(c.col+" = ?", c.v)
		}
	}
	page, err := store.List(ctx, q, lq, p, func(rows *sql.Rows) (*addonRecord, string, error) {
		a, err := scanAddonRecord(rows)
		if err != nil {
			return nil, "", err
		}
		return a, a.ID, nil
	})
	return viewPage(page, err, func(r *addonRecord) (*SubscriptionAddon, error) { return addonView(ctx, q, r) })
}

// AddonExists answers notFound unless the project has the subscription
// add-on; the cheap check before a body is read.
func AddonExists(ctx context.Context, q store.Querier, project, id string) error {
	return exists(ctx, q, "subscription_addons", "subscriptionAddon", project, id)
}

// Grant is an activated add-on as the usage counting sees it: what it
// allows, and when it can be used.
type Grant struct {
	ID, Subscription, Name string
	Allowances             catalog.Allowances
	// From and Until bound its use: from activation to the end of its
	// validity, or to when it was canceled or its subscription ended.
	From, Until time.Time
	// Active says it is usable now.
	Active bool
}

// GetGrants reads the activated add-ons of the subscriptions, each
// subscription's ordered by the end of their use, earliest first: the
// order usage consumes them in.
func GetGrants(ctx context.Context, q store.Querier, subscriptionIDs []string) (map[string][]Grant, error) {
	out := map[string][]Grant{}
	if len(subscriptionIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(subscriptionIDs))
	for i, id := range subscriptionIDs {
		args[i] = id
	}
	gs, err := store.All(ctx, q, func(sc store.Scanner) (Grant, error) {
		var (
			g                 Grant
			from, until       int64
			ended             sql.NullInt64
			status, allowance string
		)
		err := sc.Scan(&g.ID, &g.Subscription, &from, &until, &ended, &status, &g.Name, &allowance)
		if err != nil {
			return g, err
		}
		g.From, g.Until, g.Active = store.Time(from), store.Time(until), status == AddonActive
		if ended.Valid && store.Time(ended.Int64).Before(g.Until) {
			g.Until = store.Time(ended.Int64)
		}
		return g, json.Unmarshal([]byte(allowance), &g.Allowances)
	}, `SELECT sa.id, sa.subscription_id, sa.period_start, sa.period_end, sa.ended_at, sa.status, a.name, a.allowances
		FROM subscription_addons sa JOIN addons a ON a.id = sa.addon_id
		WHERE sa.subscription_id IN (?`+strings.Repeat(", ?", len(args)-1)+`) AND sa.period_start IS NOT NULL
		ORDER BY sa.subscription_id, sa.period_end, sa.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: add-on grants: %w", err)
	}
	for _, g := range gs {
		out[g.Subscription] = append(out[g.Subscription], g)
	}
	for _, list := range out {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Until.Before(list[j].Until) })
	}
	return out, nil
}
