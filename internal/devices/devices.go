// Package devices holds the devices of a project's users: their IMEI
// (Luhn-checked), their model from the catalogue shipped with cellgate,
// and the SIMs in them (reference §2.7, docs/devices.md). A plan can
// require a device; the subscriptions package checks it with Require.
package devices

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/metadata"
	"cellgate/internal/optional"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/users"
	"cellgate/internal/validate"
)

// Prefix is the id prefix of devices.
const Prefix = "dev"

func init() { events.Register("device.created", "device.updated") }

// Device is the API representation.
type Device struct {
	Object    string       `json:"object"`
	ID        string       `json:"id"`
	CreatedAt time.Time    `json:"createdAt"`
	IMEI      *string      `json:"imei"`
	Metadata  metadata.Map `json:"metadata"`
	Model     *Model       `json:"model"`
	Name      *string      `json:"name"`
	SIMs      []*sims.SIM  `json:"sims"`
	User      *users.User  `json:"user"`
}

// Input is the body of POST /devices and PATCH /devices/{id}.
type Input struct {
	IMEI     optional.Value[string]          `json:"imei"`
	Model    optional.Value[string]          `json:"model"`
	Name     optional.Value[string]          `json:"name"`
	SIMs     optional.Value[[]string]        `json:"sims"`
	User     optional.Value[string]          `json:"user"`
	Metadata optional.Value[metadata.Update] `json:"metadata"`
}

type record struct {
	ID, Project, User, IMEI, Model, Name string
	Metadata                             metadata.Map
	CreatedAt                            time.Time
	SIMs                                 []string
}

var imeiPattern = regexp.MustCompile(`^[0-9]{15}$`)

// ValidIMEI checks 15 digits whose last is the Luhn check digit.
func ValidIMEI(s string) bool {
	if !imeiPattern.MatchString(s) {
		return false
	}
	sum := 0
	for i := 0; i < 15; i++ {
		d := int(s[14-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// Create records a device.
func Create(ctx context.Context, tx *store.Tx, project string, in Input, now time.Time) (*Device, error) {
	r := &record{ID: ids.New(Prefix), Project: project, CreatedAt: now}
	if err := apply(ctx, tx, r, in); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO devices (id, project_id, user_id, imei, model_id, name, metadata, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, project, store.NullString(r.User), store.NullString(r.IMEI), store.NullString(r.Model), store.NullString(r.Name),
		metadata.Marshal(r.Metadata), store.Micros(now), store.Micros(now)); err != nil {
		return nil, fmt.Errorf("devices: insert: %w", err)
	}
	if err := setSIMs(ctx, tx, r); err != nil {
		return nil, err
	}
	v, err := view(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	return v, events.Record(ctx, tx, project, "device.created", r.ID, v, now)
}

// Update changes a device; a change records device.updated.
func Update(ctx context.Context, tx *store.Tx, project, id string, in Input, now time.Time) (*Device, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	before, err := view(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	if err := apply(ctx, tx, r, in); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE devices SET user_id = ?, imei = ?, model_id = ?, name = ?, metadata = ?, updated_at = ? WHERE id = ?`,
		store.NullString(r.User), store.NullString(r.IMEI), store.NullString(r.Model), store.NullString(r.Name), metadata.Marshal(r.Metadata), store.Micros(now), r.ID); err != nil {
		return nil, fmt.Errorf("devices: update %s: %w", id, err)
	}
	if in.SIMs.Set {
		if err := setSIMs(ctx, tx, r); err != nil {
			return nil, err
		}
	}
	after, err := view(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	return after, events.RecordUpdate(ctx, tx, project, "device.updated", id, before, after, now)
}

// apply checks every given field against the project, then sets it.
func apply(ctx context.Context, tx *store.Tx, r *record, in Input) error {
	if v := in.IMEI; v.Present() {
		if !ValidIMEI(v.Value) {
			return errs.Invalid("deviceImeiInvalid", "imei must be 15 digits ending in a valid Luhn check digit.")
		}
		var other string
		err := tx.QueryRow(ctx, `SELECT id FROM devices WHERE project_id = ? AND imei = ? AND id <> ?`, r.Project, v.Value, r.ID).Scan(&other)
		if err == nil {
			return errs.Conflict("deviceImeiAlreadyExists", "The IMEI is already the IMEI of device %s.", other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	if v := in.Model; v.Present() && models[v.Value] == nil {
		return errs.Invalid("deviceModelNotFound", "model %q is not a device model of the catalogue.", v.Value)
	}
	if v := in.Name; v.Present() {
		if err := validate.MaxLength("name", v.Value, 100); err != nil {
			return err
		}
	}
	if v := in.User; v.Present() {
		if _, err := users.Get(ctx, tx, r.Project, v.Value); err != nil {
			if errs.IsKind(err, errs.KindNotFound) {
				return errs.Invalid("userNotFound", "user %q is not a user of this project.", v.Value)
			}
			return err
		}
	}
	if v := in.SIMs; v.Present() {
		if err := checkSIMs(ctx, tx, r, v.Value); err != nil {
			return err
		}
	}
	md, err := metadata.ApplyField(r.Metadata, in.Metadata)
	if err != nil {
		return err
	}
	r.Metadata = md
	for _, f := range []struct {
		dst *string
		v   optional.Value[string]
	}{{&r.IMEI, in.IMEI}, {&r.Model, in.Model}, {&r.Name, in.Name}, {&r.User, in.User}} {
		if f.v.Set {
			*f.dst = f.v.Value
		}
	}
	if in.SIMs.Set {
		r.SIMs = in.SIMs.Value
	}
	return nil
}

func checkSIMs(ctx context.Context, tx *store.Tx, r *record, list []string) error {
	if len(list) > 2 {
		return errs.Invalid("valueOutOfRange", "sims holds at most 2 SIMs; got %d.", len(list))
	}
	for i, id := range list {
		if _, err := sims.GetRecord(ctx, tx, r.Project, id); err != nil {
			return errs.Invalid("simNotFound", "sims[%d]: %q is not a SIM of this project.", i, id)
		}
		var other string
		err := tx.QueryRow(ctx, `SELECT device_id FROM device_sims WHERE sim_id = ? AND device_id <> ?`, id, r.ID).Scan(&other)
		if err == nil {
			return errs.Conflict("deviceSimAlreadyUsed", "The SIM %s is in device %s already.", id, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

func setSIMs(ctx context.Context, tx *store.Tx, r *record) error {
	if _, err := tx.Exec(ctx, `DELETE FROM device_sims WHERE device_id = ?`, r.ID); err != nil {
		return err
	}
	for _, id := range r.SIMs {
		if _, err := tx.Exec(ctx, `INSERT INTO device_sims (device_id, sim_id) VALUES (?, ?)`, r.ID, id); err != nil {
			return fmt.Errorf("devices: add SIM %s: %w", id, err)
		}
	}
	return nil
}
