package operators

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/secret"
	"cellgate/internal/store"
)

// SessionTTL is how long a console session lasts after login.
const SessionTTL = 12 * time.Hour

// Login throttling: after MaxFailures failed logins for one email within
// FailureWindow, that email cannot log in until the oldest failure leaves
// the window, whatever password is tried. The count lives in the database,
// so every replica sees the same one.
const (
	MaxFailures   = 5
	FailureWindow = 15 * time.Minute
)

// Session is a logged-in operator, as each console request sees it.
type Session struct {
	Operator Operator
	// CSRF is the token every form of this session carries; a state
	// change without it is refused.
	CSRF string
	// Roles is the operator's role in each of its projects.
	Roles     map[string]Role
	ExpiresAt time.Time
}

// errLogin is the one answer to a wrong email, password or TOTP code: it
// never says which was wrong.
var errLogin = errs.Unauthenticated("The email, password or authentication code is not correct.")

// ErrThrottled is the answer while an email has too many recent failures.
var ErrThrottled = &errs.Error{Kind: errs.KindTooManyRequests, Code: "loginThrottled",
	Message: "Too many failed logins for this email; wait a few minutes and try again."}

// Login checks an email and password, and the TOTP code when the operator
// has TOTP on, and opens a session: it returns the token for the session
// cookie, which is stored only as its hash. now is the wall clock.
func Login(ctx context.Context, db *store.DB, email, password, code string, now time.Time) (string, error) {
	key := emailKey(email)
	var failures int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM operator_login_failures WHERE email_key = ? AND at > ?`,
		key, store.Micros(now.Add(-FailureWindow))).Scan(&failures); err != nil {
		return "", fmt.Errorf("operators: count failures: %w", err)
	}
	if failures >= MaxFailures {
		return "", ErrThrottled
	}
	op, cred, err := findByEmail(ctx, db, email)
	if errs.IsKind(err, errs.KindNotFound) {
		cred.hash = dummyHash
	} else if err != nil {
		return "", err
	}
	ok, err := checkPassword(cred.hash, password)
	if err != nil {
		return "", err
	}
	token := secret.Token(40)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if ok && op != nil {
			if ok, err = useTOTP(ctx, tx, op.ID, cred.totp, code, now); err != nil {
				return err
			}
		}
		if !ok || op == nil {
			_, err := tx.Exec(ctx, `INSERT INTO operator_login_failures (email_key, at) VALUES (?, ?)`, key, store.Micros(now))
			return err
		}
		// A success clears the count; expired sessions and failures of
		// everyone are swept here, so neither table grows without end.
		if _, err := tx.Exec(ctx, `DELETE FROM operator_login_failures WHERE email_key = ? OR at <= ?`,
			key, store.Micros(now.Add(-FailureWindow))); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM operator_sessions WHERE expires_at <= ?`, store.Micros(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO operator_sessions (token_hash, operator_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			projects.HashKey(token), op.ID, secret.Token(32), store.Micros(now), store.Micros(now.Add(SessionTTL)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("operators: login: %w", err)
	}
	if !ok || op == nil {
		return "", errLogin
	}
	return token, nil
}

// ErrNoSession is the answer to a missing, unknown or expired session.
var ErrNoSession = errs.Unauthenticated("Log in to use the console.")

// Lookup reads the session of a cookie token, with the operator's roles.
// It reads the database every time, so a logout or a role change holds at
// once on every replica.
func Lookup(ctx context.Context, q store.Querier, token string, now time.Time) (*Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	var (
		s                Session
		created, expires int64
	)
	err := q.QueryRow(ctx, `SELECT o.id, o.email, o.created_at, s.csrf_token, s.expires_at
		FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
		WHERE s.token_hash = ? AND s.expires_at > ?`, projects.HashKey(token), store.Micros(now)).
		Scan(&s.Operator.ID, &s.Operator.Email, &created, &s.CSRF, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("operators: session: %w", err)
	}
	s.Operator.CreatedAt, s.ExpiresAt = store.Time(created), store.Time(expires)
	if s.Roles, err = RolesOf(ctx, q, s.Operator.ID); err != nil {
		return nil, err
	}
	return &s, nil
}

// Logout ends the session of a token.
func Logout(ctx context.Context, db *store.DB, token string) error {
	_, err := db.Exec(ctx, `DELETE FROM operator_sessions WHERE token_hash = ?`, projects.HashKey(token))
	return err
}
