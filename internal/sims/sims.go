// Package sims owns SIM cards (eSIM and physical), their credentials and
// the phone numbers that come with them.
package sims

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/metadata"
	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/secret"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// Statuses and types of a SIM.
const (
	StatusInactive = "inactive"
	StatusActive   = "active"
	StatusRetired  = "retired"

	TypeESIM = "eSIM"
	TypePSIM = "pSIM"
)

// RetireAfter is how long an inactive SIM keeps its number (seed 001).
const RetireAfter = 60 * 24 * time.Hour

// SIM is the API representation (reference §2.6).
type SIM struct {
	Object    string       `json:"object"`
	ID        string       `json:"id"`
	CreatedAt time.Time    `json:"createdAt"`
	ICCID     string       `json:"iccid"`
	Metadata  metadata.Map `json:"metadata"`
	Provider  string       `json:"provider"`
	Status    string       `json:"status"`
	Type      string       `json:"type"`
}

// Record is a SIM with the columns the lifecycle needs beyond the API view.
type Record struct {
	SIM
	Project       string
	UserID        string
	PhoneNumber   string
	InactiveSince *time.Time
}

func init() {
	events.Register("sim.created", "sim.updated")
}

var iccidPattern = regexp.MustCompile(`(?i)^([0-9]{19}F?|[0-9]{20})$`)

// ValidICCID checks the ICCID format of reference §1.5.
func ValidICCID(s string) bool { return iccidPattern.MatchString(s) }

// CreateInput is the body of POST /sims: an operator adds a physical SIM
// to the project's inventory.
type CreateInput struct {
	ICCID    string                          `json:"iccid"`
	Provider string                          `json:"provider"`
	Type     optional.Value[string]          `json:"type"`
	Metadata optional.Value[metadata.Update] `json:"metadata"`
}

// Create adds a pSIM to the inventory. eSIMs are provisioned by
// subscriptions, not added by hand.
func Create(ctx context.Context, tx *store.Tx, carriers *network.Registry, project string, in CreateInput, now time.Time) (*SIM, error) {
	if err := validate.Required("iccid", in.ICCID); err != nil {
		return nil, err
	}
	if !ValidICCID(in.ICCID) {
		return nil, errICCIDUnavailable
	}
	if _, ok := carriers.Info(in.Provider); !ok {
		return nil, errs.Invalid("providerInvalid", "provider %q is not a known provider; known providers: %s.", in.Provider, strings.Join(carriers.IDs(), ", "))
	}
	if in.Type.Set {
		if err := validate.NotNull("type", in.Type.Null); err != nil {
			return nil, err
		}
		if err := validate.OneOf("type", in.Type.Value, TypePSIM); err != nil {
			return nil, err
		}
	}
	md, err := metadata.ApplyField(nil, in.Metadata)
	if err != nil {
		return nil, err
	}
	r := &Record{SIM: SIM{Object: "sim", ID: ids.New(ids.SIM), CreatedAt: now, ICCID: strings.ToUpper(in.ICCID), Metadata: md,
		Provider: in.Provider, Status: StatusInactive, Type: TypePSIM}, Project: project}
	if err := iccidFree(ctx, tx, project, r.ICCID); err != nil {
		return nil, err
	}
	if err := insert(ctx, tx, r, ""); err != nil {
		return nil, err
	}
	return &r.SIM, nil
}

// errICCIDUnavailable answers both an ICCID that is not one and a card
// another project holds, in the same words, so that a project learns
// nothing about other projects' cards (docs/conventions.md).
var errICCIDUnavailable = errs.Invalid("invalidIccid", "iccid is not a valid ICCID, or not a card this project can add.").
	WithHint("Parameter iccid must match /^([0-9]{19}F?|[0-9]{20})$/i and name a card of this project's inventory.")

// iccidFree checks, before the insert (a failed insert aborts a PostgreSQL
// transaction), that no SIM holds the card: in this project it is a
// conflict the project may see; in another it is errICCIDUnavailable.
func iccidFree(ctx context.Context, tx *store.Tx, project, iccid string) error {
	var owner string
	err := tx.QueryRow(ctx, `SELECT project_id FROM sims WHERE iccid = ?`, iccid).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("sims: check iccid: %w", err)
	case owner == project:
		return errs.Conflict("simAlreadyExists", "A SIM with ICCID %s already exists.", iccid)
	}
	return errICCIDUnavailable
}

// insert stores a new SIM and records com.gigs.sim.created.
func insert(ctx context.Context, tx *store.Tx, r *Record, activationCode string) error {
	var code, token sql.NullString
	if activationCode != "" {
		code = sql.NullString{String: activationCode, Valid: true}
		token = sql.NullString{String: secret.Token(32), Valid: true}
	}
	_, err := tx.Exec(ctx, `INSERT INTO sims (id, project_id, provider, type, iccid, status, activation_code, qr_token, metadata, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Project, r.Provider, r.Type, r.ICCID, r.Status, code, token, metadata.Marshal(r.Metadata), store.Micros(r.CreatedAt))
	if store.IsUniqueViolation(err) {
		// Another request took the card since iccidFree: say no more
		// than iccidFree would have said to another project.
		return errICCIDUnavailable
	}
	if err != nil {
		return fmt.Errorf("sims: create: %w", err)
	}
	return events.Record(ctx, tx, r.Project, "sim.created", r.ID, &r.SIM, r.CreatedAt)
}

const recordColumns = `id, project_id, provider, type, iccid, status, user_id, phone_number, inactive_since, metadata, created_at`

func scanRecord(row interface{ Scan(...any) error }) (*Record, error) {
	var (
		r             Record
		userID, phone sql.NullString
		inactive      sql.NullInt64
		md            string
		createdAt     int64
	)
	if err := row.Scan(&r.ID, &r.Project, &r.Provider, &r.Type, &r.ICCID, &r.Status, &userID, &phone, &inactive, &md, &createdAt); err != nil {
		return nil, err
	}
	r.Object, r.CreatedAt, r.UserID, r.PhoneNumber = "sim", store.Time(createdAt), userID.String, phone.String
	r.InactiveSince = store.NullTime(inactive)
	var err error
	r.Metadata, err = metadata.Unmarshal(md)
	return &r, err
}

// GetRecord reads a SIM of the project with its lifecycle columns; inside a
// write transaction on PostgreSQL the row is locked.
func GetRecord(ctx context.Context, q store.Querier, project, id string) (*Record, error) {
	lock := store.LockInTx(q)
	r, err := scanRecord(q.QueryRow(ctx, `SELECT `+recordColumns+` FROM sims WHERE id = ? AND project_id = ?`+lock, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("sim", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sims: get %s: %w", id, err)
	}
	return r, nil
}

// Get reads a SIM of the project.
func Get(ctx context.Context, q store.Querier, project, id string) (*SIM, error) {
	r, err := GetRecord(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return &r.SIM, nil
}

// Filter narrows a SIM list.
type Filter struct {
	Status   string
	Type     string
	Provider string
	ICCID    string
}

// List pages through the project's SIMs, newest first.
func List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page) (store.PageOf[*SIM], error) {
	lq := &store.ListQuery{Select: `SELECT ` + recordColumns + ` FROM sims`}
	lq.Where("project_id = ?", project)
	for _, c := range []struct{ col, v string }{{"status", f.Status}, {"type", f.Type}, {"provider", f.Provider}, {"iccid", strings.ToUpper(f.ICCID)}} {
		if c.v != "" {
			lq.Where(c.col+" = ?", c.v)
		}
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*SIM, string, error) {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, "", err
		}
		return &r.SIM, r.ID, nil
	})
}

// SetStatus changes a SIM's status and records com.gigs.sim.updated.
func SetStatus(ctx context.Context, tx *store.Tx, r *Record, status string, now time.Time) error {
	if r.Status == status {
		return nil
	}
	before := r.SIM
	r.Status = status
	var inactive sql.NullInt64
	if status == StatusInactive {
		inactive = sql.NullInt64{Int64: store.Micros(now), Valid: true}
		r.InactiveSince = &now
	} else {
		r.InactiveSince = nil
	}
	if _, err := tx.Exec(ctx, `UPDATE sims SET status = ?, inactive_since = ? WHERE id = ?`, status, inactive, r.ID); err != nil {
		return fmt.Errorf("sims: set status of %s: %w", r.ID, err)
	}
	return events.RecordUpdate(ctx, tx, r.Project, "sim.updated", r.ID, &before, &r.SIM, now)
}

// Deactivate makes the SIM inactive as of now: its 60 days before
// retirement start, also for a SIM that never went active.
func Deactivate(ctx context.Context, tx *store.Tx, r *Record, now time.Time) error {
	if r.Status != StatusInactive {
		return SetStatus(ctx, tx, r, StatusInactive, now)
	}
	r.InactiveSince = &now
	_, err := tx.Exec(ctx, `UPDATE sims SET inactive_since = ? WHERE id = ?`, store.Micros(now), r.ID)
	return err
}

// Claim records that a user's subscription uses the SIM: from then on no
// other user may use it.
func Claim(ctx context.Context, tx *store.Tx, r *Record, userID string) error {
	if r.UserID != "" {
		return nil
	}
	r.UserID = userID
	_, err := tx.Exec(ctx, `UPDATE sims SET user_id = ? WHERE id = ?`, userID, r.ID)
	return err
}
