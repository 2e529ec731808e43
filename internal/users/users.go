// Package users owns end users and their addresses.
package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/metadata"
	"cellgate/internal/optional"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// Statuses of a user.
const (
	StatusActive  = "active"
	StatusBlocked = "blocked"
	StatusDeleted = "deleted"
)

// DefaultLocale is a new user's preferredLocale when none is given.
const DefaultLocale = "en-US"

// MaxFullNameLength bounds fullName.
const MaxFullNameLength = 200

// User is the API representation (reference §2.2).
type User struct {
	Object          string       `json:"object"`
	ID              string       `json:"id"`
	Birthday        *string      `json:"birthday"`
	CreatedAt       time.Time    `json:"createdAt"`
	Email           string       `json:"email"`
	EmailVerified   bool         `json:"emailVerified"`
	FullName        *string      `json:"fullName"`
	Metadata        metadata.Map `json:"metadata"`
	PreferredLocale string       `json:"preferredLocale"`
	Status          string       `json:"status"`
}

// CreateInput is the body of POST /users.
type CreateInput struct {
	Email           string                          `json:"email"`
	FullName        optional.Value[string]          `json:"fullName"`
	Birthday        optional.Value[string]          `json:"birthday"`
	PreferredLocale optional.Value[string]          `json:"preferredLocale"`
	Metadata        optional.Value[metadata.Update] `json:"metadata"`
}

// UpdateInput is the body of PATCH /users/{user}. fullName and birthday may
// be null to clear them.
type UpdateInput struct {
	Email           optional.Value[string]          `json:"email"`
	FullName        optional.Value[string]          `json:"fullName"`
	Birthday        optional.Value[string]          `json:"birthday"`
	PreferredLocale optional.Value[string]          `json:"preferredLocale"`
	Metadata        optional.Value[metadata.Update] `json:"metadata"`
}

// Create adds a user; the email must be unused in the project.
func Create(ctx context.Context, tx *store.Tx, project string, in CreateInput, now time.Time) (*User, error) {
	u := &User{Object: "user", ID: ids.New(ids.User), CreatedAt: now, Email: in.Email, PreferredLocale: DefaultLocale, Status: StatusActive}
	if err := validate.Required("email", in.Email); err != nil {
		return nil, err
	}
	if err := validate.Email("email", in.Email); err != nil {
		return nil, err
	}
	if err := setNullableFields(u, in.FullName, in.Birthday, now); err != nil {
		return nil, err
	}
	if in.PreferredLocale.Set {
		if err := setLocale(u, in.PreferredLocale); err != nil {
			return nil, err
		}
	}
	md, err := metadata.ApplyField(nil, in.Metadata)
	if err != nil {
		return nil, err
	}
	u.Metadata = md
	_, err = tx.Exec(ctx, `INSERT INTO users (id, project_id, email, email_key, email_verified, full_name, birthday, preferred_locale, status, metadata, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, project, u.Email, emailKey(u.Email), false, u.FullName, u.Birthday, u.PreferredLocale, u.Status, metadata.Marshal(u.Metadata), store.Micros(now))
	if store.IsUniqueViolation(err) {
		return nil, errUserExists(u.Email)
	}
	if err != nil {
		return nil, fmt.Errorf("users: create: %w", err)
	}
	return u, events.Record(ctx, tx, project, "user.created", u.ID, u, now)
}

func errUserExists(email string) error {
	return errs.Conflict("userAlreadyExists", "A user with the email %q already exists in this project.", email)
}

// emailKey is the form uniqueness and search compare: email addresses are
// case-insensitive in practice.
func emailKey(email string) string { return strings.ToLower(email) }

func setNullableFields(u *User, fullName, birthday optional.Value[string], now time.Time) error {
	if fullName.Set {
		u.FullName = nil
		if !fullName.Null {
			name := fullName.Value
			if err := validate.Required("fullName", name); err != nil {
				return err
			}
			if err := validate.MaxLength("fullName", name, MaxFullNameLength); err != nil {
				return err
			}
			u.FullName = &name
		}
	}
	if birthday.Set {
		u.Birthday = nil
		if !birthday.Null {
			day := birthday.Value
			t, err := validate.Date("birthday", day)
			if err != nil {
				return err
			}
			if t.Year() < 1900 || t.After(now) {
				return errs.Invalid("dateInvalid", "birthday %q is not a plausible date of birth.", day)
			}
			u.Birthday = &day
		}
	}
	return nil
}

func setLocale(u *User, v optional.Value[string]) error {
	if err := validate.NotNull("preferredLocale", v.Null); err != nil {
		return err
	}
	if err := validate.Locale("preferredLocale", v.Value); err != nil {
		return err
	}
	u.PreferredLocale = v.Value
	return nil
}

const userColumns = `id, email, email_verified, full_name, birthday, preferred_locale, status, metadata, created_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var (
		u                  User
		fullName, birthday sql.NullString
		md                 string
		createdAt          int64
	)
	if err := row.Scan(&u.ID, &u.Email, &u.EmailVerified, &fullName, &birthday, &u.PreferredLocale, &u.Status, &md, &createdAt); err != nil {
		return nil, err
	}
	u.Object, u.CreatedAt = "user", store.Time(createdAt)
	if fullName.Valid {
		u.FullName = &fullName.String
	}
	if birthday.Valid {
		u.Birthday = &birthday.String
	}
	var err error
	u.Metadata, err = metadata.Unmarshal(md)
	return &u, err
}

// Get reads a user that has not been deleted. Inside a write transaction on
// PostgreSQL the row is locked for the rest of the transaction.
func Get(ctx context.Context, q store.Querier, project, id string) (*User, error) {
	lock := store.LockInTx(q)
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND project_id = ? AND status <> 'deleted'`+lock, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("users: get %s: %w", id, err)
	}
	return u, nil
}

// Update applies a PATCH and records com.gigs.user.updated.
func Update(ctx context.Context, tx *store.Tx, project, id string, in UpdateInput, now time.Time) (*User, error) {
	before, err := Get(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	after := *before
	if in.Email.Set {
		if err := validate.NotNull("email", in.Email.Null); err != nil {
			return nil, err
		}
		if err := validate.Email("email", in.Email.Value); err != nil {
			return nil, err
		}
		if emailKey(in.Email.Value) != emailKey(before.Email) {
			after.EmailVerified = false // a new address has not been verified
		}
		after.Email = in.Email.Value
	}
	if err := setNullableFields(&after, in.FullName, in.Birthday, now); err != nil {
		return nil, err
	}
	if in.PreferredLocale.Set {
		if err := setLocale(&after, in.PreferredLocale); err != nil {
			return nil, err
		}
	}
	if after.Metadata, err = metadata.ApplyField(before.Metadata, in.Metadata); err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `UPDATE users SET email = ?, email_key = ?, email_verified = ?, full_name = ?, birthday = ?, preferred_locale = ?, metadata = ?
		WHERE id = ? AND project_id = ?`,
		after.Email, emailKey(after.Email), after.EmailVerified, after.FullName, after.Birthday, after.PreferredLocale, metadata.Marshal(after.Metadata), id, project)
	if store.IsUniqueViolation(err) {
		return nil, errUserExists(after.Email)
	}
	if err != nil {
		return nil, fmt.Errorf("users: update %s: %w", id, err)
	}
	return &after, events.RecordUpdate(ctx, tx, project, "user.updated", id, before, &after, now)
}

// Delete marks a user deleted: it disappears from the API and its email
// can be used again, while the row stays for the records that point at it.
func Delete(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*User, error) {
	u, err := Get(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	u.Status = StatusDeleted
	if _, err := tx.Exec(ctx, `UPDATE users SET status = ?, deleted_at = ? WHERE id = ? AND project_id = ?`, StatusDeleted, store.Micros(now), id, project); err != nil {
		return nil, fmt.Errorf("users: delete %s: %w", id, err)
	}
	return u, events.Record(ctx, tx, project, "user.deleted", id, u, now)
}

// List pages through the project's users, newest first.
func List(ctx context.Context, q store.Querier, project string, p store.Page) (store.PageOf[*User], error) {
	lq := &store.ListQuery{Select: `SELECT ` + userColumns + ` FROM users`}
	lq.Where("project_id = ?", project).Where("status <> 'deleted'")
	return store.List(ctx, q, lq, p, scanRow)
}

// SearchByEmail finds the user with this email, ignoring case.
func SearchByEmail(ctx context.Context, q store.Querier, project, email string) ([]*User, error) {
	if err := validate.Required("email", email); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+userColumns+` FROM users WHERE project_id = ? AND email_key = ? AND status <> 'deleted' ORDER BY id DESC`, project, emailKey(email))
	if err != nil {
		return nil, fmt.Errorf("users: search: %w", err)
	}
	defer rows.Close()
	out := []*User{}
	for rows.Next() {
		u, _, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SearchByName pages through the users whose full name starts with name,
// ignoring case, newest first.
func SearchByName(ctx context.Context, q store.Querier, project, name string, p store.Page) (store.PageOf[*User], error) {
	if err := validate.Required("name", name); err != nil {
		return store.PageOf[*User]{}, err
	}
	// LIKE's wildcards in the name are matched as themselves.
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(name))
	lq := &store.ListQuery{Select: `SELECT ` + userColumns + ` FROM users`}
	lq.Where("project_id = ?", project).Where("status <> 'deleted'").Where(`LOWER(full_name) LIKE ? ESCAPE '\'`, esc+"%")
	return store.List(ctx, q, lq, p, scanRow)
}

func scanRow(rows *sql.Rows) (*User, string, error) {
	u, err := scanUser(rows)
	if err != nil {
		return nil, "", err
	}
	return u, u.ID, nil
}
