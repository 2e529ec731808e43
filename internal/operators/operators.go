// Package operators holds the people who run cellgate through its console:
// their accounts (an email and an argon2id password hash), their role in
// each project, their browser sessions and the throttling of failed logins
// (docs/console.md).
package operators

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// Role is what an operator may do in one project.
type Role string

// The roles, from most to least trusted. A support operator works with end
// users' data but never sees credentials: API keys, webhook secrets, SIM
// activation codes.
const (
	Owner     Role = "owner"
	Developer Role = "developer"
	Support   Role = "support"
)

// Roles lists every role.
var Roles = []Role{Owner, Developer, Support}

// SeesCredentials says whether the role may see and manage credentials:
// API keys, webhook endpoints and their secrets, SIM credentials, and the
// test clock.
func (r Role) SeesCredentials() bool { return r == Owner || r == Developer }

// ParseRole checks a role given on the command line or in a form.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return "", errs.Invalid("invalidEnumValue", "role must be one of owner, developer or support; got %q.", s)
}

// Operator is an operator account.
type Operator struct {
	ID        string
	Email     string
	CreatedAt time.Time
}

// MinPassword is the shortest password an operator may have.
const MinPassword = 12

func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Create makes an operator account. The password is kept only as its
// argon2id hash.
func Create(ctx context.Context, tx *store.Tx, email, password string, now time.Time) (*Operator, error) {
	if err := validate.Email("email", email); err != nil {
		return nil, err
	}
	if len([]rune(password)) < MinPassword {
		return nil, errs.Invalid("passwordTooShort", "A password must be at least %d characters long.", MinPassword)
	}
	op := &Operator{ID: ids.New(ids.Member), Email: email, CreatedAt: now.UTC()}
	_, err := tx.Exec(ctx, `INSERT INTO operators (id, email, email_key, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		op.ID, email, emailKey(email), hashPassword(password), store.Micros(now))
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("memberAlreadyExists", "An operator with the email %s already exists.", email)
	}
	if err != nil {
		return nil, fmt.Errorf("operators: create: %w", err)
	}
	return op, nil
}

// FindByEmail reads the operator with this email (any case).
func FindByEmail(ctx context.Context, q store.Querier, email string) (*Operator, error) {
	op, _, err := findByEmail(ctx, q, email)
	return op, err
}

// credentials are what a login checks: the password's hash and the TOTP
// secret, if the operator has one.
type credentials struct {
	hash string
	totp sql.NullString
}

func findByEmail(ctx context.Context, q store.Querier, email string) (*Operator, credentials, error) {
	var (
		op      Operator
		cred    credentials
		created int64
	)
	err := q.QueryRow(ctx, `SELECT id, email, password_hash, totp_secret, created_at FROM operators WHERE email_key = ?`, emailKey(email)).
		Scan(&op.ID, &op.Email, &cred.hash, &cred.totp, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cred, errs.NotFound("member", email)
	}
	if err != nil {
		return nil, cred, fmt.Errorf("operators: find: %w", err)
	}
	op.CreatedAt = store.Time(created)
	return &op, cred, nil
}

// Grant gives the operator role in project, replacing any role it had
// there.
func Grant(ctx context.Context, tx *store.Tx, operatorID, project string, role Role, now time.Time) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE operator_roles SET role = ? WHERE operator_id = ? AND project_id = ?`, string(role), operatorID, project)
	if err != nil {
		return fmt.Errorf("operators: grant: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO operator_roles (operator_id, project_id, role, created_at) VALUES (?, ?, ?, ?)`,
		operatorID, project, string(role), store.Micros(now))
	if store.IsForeignKeyViolation(err) {
		return errs.NotFound("project", project)
	}
	if err != nil {
		return fmt.Errorf("operators: grant: %w", err)
	}
	return nil
}

// RolesOf returns the operator's role in each of its projects.
func RolesOf(ctx context.Context, q store.Querier, operatorID string) (map[string]Role, error) {
	rows, err := q.Query(ctx, `SELECT project_id, role FROM operator_roles WHERE operator_id = ?`, operatorID)
	if err != nil {
		return nil, fmt.Errorf("operators: roles: %w", err)
	}
	defer rows.Close()
	out := map[string]Role{}
	for rows.Next() {
		var p, r string
		if err := rows.Scan(&p, &r); err != nil {
			return nil, err
		}
		out[p] = Role(r)
	}
	return out, rows.Err()
}

// SetPassword replaces an operator's password and ends its sessions.
func SetPassword(ctx context.Context, tx *store.Tx, operatorID, password string) error {
	if len([]rune(password)) < MinPassword {
		return errs.Invalid("passwordTooShort", "A password must be at least %d characters long.", MinPassword)
	}
	if _, err := tx.Exec(ctx, `UPDATE operators SET password_hash = ? WHERE id = ?`, hashPassword(password), operatorID); err != nil {
		return fmt.Errorf("operators: set password: %w", err)
	}
	_, err := tx.Exec(ctx, `DELETE FROM operator_sessions WHERE operator_id = ?`, operatorID)
	return err
}
