package devices

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/metadata"
	"cellgate/internal/optional"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

const columns = `id, project_id, user_id, imei, model_id, name, metadata, created_at`

func scan(row store.Scanner) (*record, error) {
	var (
		r                       record
		user, imei, model, name sql.NullString
		md                      string
		created                 int64
	)
	if err := row.Scan(&r.ID, &r.Project, &user, &imei, &model, &name, &md, &created); err != nil {
		return nil, err
	}
	r.User, r.IMEI, r.Model, r.Name, r.CreatedAt = user.String, imei.String, model.String, name.String, store.Time(created)
	var err error
	r.Metadata, err = metadata.Unmarshal(md)
	return &r, err
}

func load(ctx context.Context, q store.Querier, project, id string) (*record, error) {
	r, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM devices WHERE id = ? AND project_id = ?`+store.LockInTx(q), id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("device", id)
	}
	if err != nil {
		return nil, fmt.Errorf("devices: load %s: %w", id, err)
	}
	r.SIMs, err = store.All(ctx, q, store.ScanString, `SELECT sim_id FROM device_sims WHERE device_id = ? ORDER BY sim_id`, id)
	return r, err
}

func view(ctx context.Context, q store.Querier, r *record) (*Device, error) {
	v := &Device{Object: "device", ID: r.ID, CreatedAt: r.CreatedAt, Metadata: r.Metadata, Model: models[r.Model],
		IMEI: store.StringOrNil(r.IMEI), Name: store.StringOrNil(r.Name), SIMs: []*sims.SIM{}}
	for _, id := range r.SIMs {
		s, err := sims.Get(ctx, q, r.Project, id)
		if err != nil {
			return nil, err
		}
		v.SIMs = append(v.SIMs, s)
	}
	if r.User != "" {
		u, err := users.GetIncludingDeleted(ctx, q, r.Project, r.User)
		if err != nil {
			return nil, err
		}
		v.User = u
	}
	return v, nil
}

// Get reads a device.
func Get(ctx context.Context, q store.Querier, project, id string) (*Device, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return view(ctx, q, r)
}

// Filter narrows a device list.
type Filter struct{ SIM, User string }

// List pages through the project's devices, newest first.
func List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page) (store.PageOf[*Device], error) {
	lq := &store.ListQuery{Select: `SELECT ` + columns + ` FROM devices`}
	lq.Where("project_id = ?", project)
	if f.User != "" {
		lq.Where("user_id = ?", f.User)
	}
	if f.SIM != "" {
		lq.Where("id IN (SELECT device_id FROM device_sims WHERE sim_id = ?)", f.SIM)
	}
	page, err := store.List(ctx, q, lq, p, func(rows *sql.Rows) (*record, string, error) {
		r, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		return r, r.ID, nil
	})
	out := store.PageOf[*Device]{MoreAfter: page.MoreAfter, MoreBefore: page.MoreBefore, Items: make([]*Device, 0, len(page.Items))}
	if err != nil {
		return out, err
	}
	for _, r := range page.Items {
		if r.SIMs, err = store.All(ctx, q, store.ScanString, `SELECT sim_id FROM device_sims WHERE device_id = ? ORDER BY sim_id`, r.ID); err != nil {
			return out, err
		}
		v, err := view(ctx, q, r)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// Require checks the device a subscription names against its plan and
// user, and puts the subscription's SIM in it. present is the plan's
// requirements.device: a plan that requires one refuses a subscription
// without it.
func Require(ctx context.Context, tx *store.Tx, project, id, user string, required bool, simTypes []string, sim string, now time.Time) error {
	if id == "" {
		if required {
			return errs.Invalid("deviceRequired", "The plan requires a device: pass device, a device of the user.")
		}
		return nil
	}
	r, err := load(ctx, tx, project, id)
	if err != nil {
		if errs.IsKind(err, errs.KindNotFound) {
			return errs.Invalid("deviceNotFound", "device %q is not a device of this project.", id)
		}
		return err
	}
	if r.User != "" && r.User != user {
		return errs.Invalid("deviceUserMismatch", "The device %s belongs to user %s, not to the subscription's user.", id, r.User)
	}
	if m := models[r.Model]; !m.supports(simTypes) {
		return errs.Invalid("deviceNotSupportedOnPlan", "The device model %s %s takes %v SIMs; the plan needs one of %v.", m.Brand, m.Name, m.SIMTypes, simTypes)
	}
	for _, s := range r.SIMs {
		if s == sim {
			return nil
		}
	}
	in := Input{SIMs: optional.Of(append(append([]string{}, r.SIMs...), sim))}
	if len(r.SIMs) >= 2 {
		in.SIMs = optional.Of([]string{sim}) // a new line replaces the old SIMs
	}
	_, err = Update(ctx, tx, project, id, in, now)
	return err
}
