package connect

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"cellgate/internal/email"
	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/secret"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

// Kinds of grant a link's token opens.
const (
	GrantPage  = "page"
	GrantEmbed = "embed"
)

// Errors of a link that cannot be used. Both are 422, as the embeds'
// token exchange documents for an expired session.
var (
	ErrExpired = errs.Invalid("connectSessionExpired", "This Connect session has expired; ask for a new link.")
	ErrUsed    = errs.Invalid("connectSessionUsed", "This Connect link has already been used; ask for a new link.")
	// ErrNoGrant is a missing, unknown or expired browser session or token.
	ErrNoGrant = errs.Unauthenticated("The Connect session is missing or has expired.")
)

// Grant is an open browser session or embed token.
type Grant struct {
	Kind      string
	Session   *Record
	CSRF      string
	ExpiresAt time.Time
}

// FindByToken reads the session a link's token belongs to, whatever its
// state, so the pages can say why a link cannot be used.
func FindByToken(ctx context.Context, q store.Querier, token string) (*Record, error) {
	if token == "" {
		return nil, errs.NotFound("connectSession", "")
	}
	r, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM connect_sessions WHERE token_hash = ?`, projects.HashKey(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("connectSession", "")
	}
	if err != nil {
		return nil, fmt.Errorf("connect: find token: %w", err)
	}
	return r, nil
}

// Redeem uses a link's token once: the session becomes opened and the
// returned secret is the browser session's cookie (kind page) or the
// embed's access token (kind embed). The session id, if given, must be
// the token's.
func Redeem(ctx context.Context, tx *store.Tx, id, token, kind string, now time.Time) (string, *Record, error) {
	r, err := FindByToken(ctx, tx, token)
	if err != nil || (id != "" && r.ID != id) {
		return "", nil, errs.NotFound("connectSession", id)
	}
	if r, err = load(ctx, tx, r.Project, r.ID); err != nil { // locks the row
		return "", nil, err
	}
	switch {
	case r.Status != StatusCreated:
		return "", r, ErrUsed
	case !now.Before(r.ExpiresAt):
		return "", r, ErrExpired
	}
	expires := now.Add(GrantTTL)
	if r, err = update(ctx, tx, r, now, `status = ?, opened_at = ?, expires_at = ?`, StatusOpened, store.Micros(now), store.Micros(expires)); err != nil {
		return "", nil, err
	}
	grant := secret.Token(43)
	if _, err := tx.Exec(ctx, `INSERT INTO connect_grants (token_hash, kind, session_id, project_id, csrf_token, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, projects.HashKey(grant), kind, r.ID, r.Project, secret.Token(32), store.Micros(now), store.Micros(expires)); err != nil {
		return "", nil, fmt.Errorf("connect: grant: %w", err)
	}
	return grant, r, nil
}

// LookupGrant reads the grant of a cookie or bearer token of kind. now is
// read from the session's project clock, so it is looked up first.
func LookupGrant(ctx context.Context, q store.Querier, token, kind string) (*Grant, error) {
	if token == "" {
		return nil, ErrNoGrant
	}
	var (
		g                Grant
		session, project string
		expires          int64
	)
	err := q.QueryRow(ctx, `SELECT session_id, project_id, csrf_token, expires_at FROM connect_grants WHERE token_hash = ? AND kind = ?`,
		projects.HashKey(token), kind).Scan(&session, &project, &g.CSRF, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoGrant
	}
	if err != nil {
		return nil, fmt.Errorf("connect: grant: %w", err)
	}
	now, err := projects.Now(ctx, q, project)
	if err != nil {
		return nil, err
	}
	g.Kind, g.ExpiresAt = kind, store.Time(expires)
	if !now.Before(g.ExpiresAt) {
		return nil, ErrNoGrant
	}
	if g.Session, err = load(ctx, q, project, session); err != nil {
		return nil, err
	}
	return &g, nil
}

// Revoke ends a grant (the pages' sign-out).
func Revoke(ctx context.Context, tx *store.Tx, token string) error {
	_, err := tx.Exec(ctx, `DELETE FROM connect_grants WHERE token_hash = ?`, projects.HashKey(token))
	return err
}

// CodeTTL is how long an emailed one-time code is valid; MaxCodeAttempts
// how many wrong codes end it.
const (
	CodeTTL         = 10 * time.Minute
	MaxCodeAttempts = 5
)

// SendCode emails a six-digit one-time code to address for a session
// without a user, through the outbox; only its hash is stored.
func SendCode(ctx context.Context, tx *store.Tx, r *Record, address, brand string, now time.Time) (*Record, error) {
	address = strings.TrimSpace(address)
	if r.Authenticated {
		return r, nil
	}
	if len(address) > 254 || !strings.Contains(address, "@") {
		return nil, errs.Invalid("emailInvalid", "Enter a valid email address.")
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		return nil, err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	text := fmt.Sprintf("Your %s sign-in code is %s.\n\nIt expires in %d minutes. If you did not ask for it, ignore this email.\n",
		brand, code, int(CodeTTL.Minutes()))
	if _, err := email.Send(ctx, tx, r.Project, address, "Your "+brand+" sign-in code", text, now); err != nil {
		return nil, errs.Invalid("emailInvalid", "Enter a valid email address.")
	}
	_, err = tx.Exec(ctx, `UPDATE connect_sessions SET code_email = ?, code_hash = ?, code_expires_at = ?, code_attempts = 0, updated_at = ? WHERE id = ?`,
		address, projects.HashKey(r.ID+":"+code), store.Micros(now.Add(CodeTTL)), store.Micros(now), r.ID)
	if err != nil {
		return nil, err
	}
	return load(ctx, tx, r.Project, r.ID)
}

// ErrCode is the answer to a wrong, expired or used-up code.
var ErrCode = errs.Invalid("connectCodeInvalid", "The code is not correct or has expired. Ask for a new code.")

// VerifyCode checks a one-time code. On success the session is
// authenticated: tied to the user with that email, or (for a checkout)
// to be made with it when the checkout completes.
func VerifyCode(ctx context.Context, tx *store.Tx, r *Record, code string, now time.Time) (*Record, error) {
	if r.codeHash == "" || r.codeExpires == nil || !now.Before(*r.codeExpires) || r.codeAttempts >= MaxCodeAttempts {
		return nil, ErrCode
	}
	if subtle.ConstantTimeCompare([]byte(projects.HashKey(r.ID+":"+strings.TrimSpace(code))), []byte(r.codeHash)) != 1 {
		if _, err := tx.Exec(ctx, `UPDATE connect_sessions SET code_attempts = code_attempts + 1 WHERE id = ?`, r.ID); err != nil {
			return nil, err
		}
		return nil, ErrCode
	}
	found, err := users.SearchByEmail(ctx, tx, r.Project, r.CodeEmail)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 && r.Intent.Type != CheckoutNewSubscription {
		return nil, errs.Invalid("userNotFound", "No account uses this email address.")
	}
	if len(found) > 0 {
		if err := r.Intent.check(ctx, tx, r.Project, found[0].ID, now); err != nil {
			return nil, err
		}
		return update(ctx, tx, r, now, `user_id = ?, authenticated = ?, code_hash = NULL`, found[0].ID, true)
	}
	details, _ := json.Marshal(UserDetails{Email: r.CodeEmail})
	return update(ctx, tx, r, now, `user_details = ?, authenticated = ?, code_hash = NULL`, string(details), true)
}
