// Package connect holds Connect sessions (reference §2.17, docs/connect.md):
// a brand's backend creates one for a user and an intent, and sends the user
// to its url. The url carries a single-use token, stored here only as a
// hash; redeeming it opens a browser session for the hosted pages (package
// connectweb) or an embed's access token. A session ends completed when
// its intent is done.
package connect

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/projects"
	"cellgate/internal/secret"
	"cellgate/internal/store"
	"cellgate/internal/users"
	"cellgate/internal/validate"
)

// Prefix is the id prefix of Connect sessions.
const Prefix = "csn"

// LinkTTL is how long a session's url can be used after creation; GrantTTL
// how long the browser session or embed token it opens lasts. Both run on
// the project's clock.
const (
	LinkTTL  = time.Hour
	GrantTTL = time.Hour
)

// Statuses. expired is shown, not stored: a created session whose link
// was not used before expiresAt, or an opened one whose grant ran out.
const (
	StatusCreated   = "created"
	StatusOpened    = "opened"
	StatusCompleted = "completed"
	StatusExpired   = "expired"
)

// Themes of the pages.
const (
	ThemeLight = "light"
	ThemeDark  = "dark"
)

func init() { events.Register("connectSession.updated") }

// Appearance is how the pages look.
type Appearance struct {
	Theme string `json:"theme"`
}

// UserDetails name a user who may not exist yet.
type UserDetails struct {
	Email           string  `json:"email"`
	FullName        *string `json:"fullName,omitempty"`
	PreferredLocale *string `json:"preferredLocale,omitempty"`
	Birthday        *string `json:"birthday,omitempty"`
}

// Session is the API representation of a Connect session.
type Session struct {
	Object      string     `json:"object"`
	ID          string     `json:"id"`
	Appearance  Appearance `json:"appearance"`
	CallbackURL *string    `json:"callbackUrl"`
	CompletedAt *time.Time `json:"completedAt"`
	CreatedAt   time.Time  `json:"createdAt"`
	ExpiresAt   time.Time  `json:"expiresAt"`
	Intent      *Intent    `json:"intent"`
	OpenedAt    *time.Time `json:"openedAt"`
	Status      string     `json:"status"`
	// URL is set only in the create response: it carries the token.
	URL  *string `json:"url"`
	User *string `json:"user"`
}

// Record is a session as the pages need it: the view plus what the API
// does not show.
type Record struct {
	Session
	Project       string
	Details       *UserDetails
	Authenticated bool
	Result        string
	CodeEmail     string
	codeHash      string
	codeExpires   *time.Time
	codeAttempts  int
}

// CreateInput is the body of POST /connectSessions.
type CreateInput struct {
	Appearance  *Appearance  `json:"appearance"`
	CallbackURL *string      `json:"callbackUrl"`
	Intent      *Intent      `json:"intent"`
	User        *string      `json:"user"`
	UserDetails *UserDetails `json:"userDetails"`
}

func (in *CreateInput) checkForm() error {
	if in.Intent == nil {
		return errs.Invalid("fieldRequired", "intent is required.")
	}
	if in.Appearance != nil {
		if err := validate.OneOf("appearance.theme", in.Appearance.Theme, ThemeLight, ThemeDark); err != nil {
			return err
		}
	}
	if in.CallbackURL != nil {
		if err := checkCallback(*in.CallbackURL); err != nil {
			return err
		}
	}
	if in.User != nil && in.UserDetails != nil {
		return errs.Invalid("connectSessionUserConflict", "Give user or userDetails, not both.")
	}
	if d := in.UserDetails; d != nil {
		if err := validate.Email("userDetails.email", d.Email); err != nil {
			return err
		}
		if d.FullName != nil {
			if err := validate.MaxLength("userDetails.fullName", *d.FullName, 255); err != nil {
				return err
			}
		}
		if d.PreferredLocale != nil {
			if err := validate.Locale("userDetails.preferredLocale", *d.PreferredLocale); err != nil {
				return err
			}
		}
		if d.Birthday != nil {
			if _, err := validate.Date("userDetails.birthday", *d.Birthday); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkCallback accepts an absolute http(s) URL without credentials.
func checkCallback(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(s) > 2048 {
		return errs.Invalid("callbackUrlInvalid", "callbackUrl must be an absolute http or https URL of at most 2048 characters, without credentials.")
	}
	return nil
}

// Create checks the input and its intent against the project's data and
// stores the session; the returned view carries the url, whose token only
// its hash is kept of. base is the server's public URL.
func Create(ctx context.Context, tx *store.Tx, project string, in CreateInput, base string, now time.Time) (*Session, error) {
	if err := in.checkForm(); err != nil {
		return nil, err
	}
	user, authenticated := "", false
	if in.User != nil {
		u, err := users.Get(ctx, tx, project, *in.User)
		if errs.IsKind(err, errs.KindNotFound) {
			return nil, errs.Invalid("userNotFound", "user %s does not exist.", *in.User)
		}
		if err != nil {
			return nil, err
		}
		user, authenticated = u.ID, true
	}
	if d := in.UserDetails; d != nil {
		found, err := users.SearchByEmail(ctx, tx, project, d.Email)
		if err != nil {
			return nil, err
		}
		// The brand vouches for the address: the session is authenticated
		// whether the user exists yet or is made by the checkout.
		authenticated = true
		if len(found) > 0 {
			user = found[0].ID
		} else if in.Intent.Type != CheckoutNewSubscription {
			return nil, errs.Invalid("userNotFound", "No user has the email of userDetails; only a checkout creates one.")
		}
	}
	if err := in.Intent.check(ctx, tx, project, user, now); err != nil {
		return nil, err
	}
	theme := ThemeLight
	if in.Appearance != nil {
		theme = in.Appearance.Theme
	}
	id, token := ids.New(Prefix), secret.Token(43)
	var details sql.NullString
	if in.UserDetails != nil {
		b, _ := json.Marshal(in.UserDetails)
		details = sql.NullString{String: string(b), Valid: true}
	}
	var callback sql.NullString
	if in.CallbackURL != nil {
		callback = sql.NullString{String: *in.CallbackURL, Valid: true}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO connect_sessions (id, project_id, user_id, user_details, authenticated, theme,
		callback_url, intent_type, intent, status, token_hash, created_at, updated_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, project, store.NullString(user), details, authenticated, theme, callback, in.Intent.Type, in.Intent.marshal(),
		StatusCreated, projects.HashKey(token), store.Micros(now), store.Micros(now), store.Micros(now.Add(LinkTTL))); err != nil {
		return nil, fmt.Errorf("connect: create: %w", err)
	}
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	v := r.view(now)
	link := EntryURL(base, id, token)
	v.URL = &link
	return &v, nil
}

// EntryURL is the link that opens a session's pages.
func EntryURL(base, id, token string) string {
	return strings.TrimSuffix(base, "/") + "/connect/entry?" + url.Values{"session": {id}, "token": {token}}.Encode()
}

const columns = `id, project_id, user_id, user_details, authenticated, theme, callback_url, intent, status, result,
	code_email, code_hash, code_expires_at, code_attempts, created_at, expires_at, opened_at, completed_at`

func scan(row store.Scanner) (*Record, error) {
	var (
		r                               Record
		user, details, callback, result sql.NullString
		codeEmail, codeHash             sql.NullString
		intent                          string
		codeExpires, opened, completed  sql.NullInt64
		created, expires                int64
	)
	if err := row.Scan(&r.ID, &r.Project, &user, &details, &r.Authenticated, &r.Appearance.Theme, &callback, &intent, &r.Status,
		&result, &codeEmail, &codeHash, &codeExpires, &r.codeAttempts, &created, &expires, &opened, &completed); err != nil {
		return nil, err
	}
	r.Object, r.CreatedAt, r.ExpiresAt = "connectSession", store.Time(created), store.Time(expires)
	r.Result, r.CodeEmail, r.codeHash = result.String, codeEmail.String, codeHash.String
	if user.Valid {
		r.User = &user.String
	}
	if callback.Valid {
		r.CallbackURL = &callback.String
	}
	r.OpenedAt, r.CompletedAt, r.codeExpires = timeOrNil(opened), timeOrNil(completed), timeOrNil(codeExpires)
	if err := json.Unmarshal([]byte(intent), &r.Intent); err != nil {
		return nil, fmt.Errorf("connect: intent of %s: %w", r.ID, err)
	}
	if details.Valid {
		if err := json.Unmarshal([]byte(details.String), &r.Details); err != nil {
			return nil, fmt.Errorf("connect: details of %s: %w", r.ID, err)
		}
	}
	return &r, nil
}

func timeOrNil(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := store.Time(v.Int64)
	return &t
}

func load(ctx context.Context, q store.Querier, project, id string) (*Record, error) {
	r, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM connect_sessions WHERE id = ? AND project_id = ?`+store.LockInTx(q), id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("connectSession", id)
	}
	if err != nil {
		return nil, fmt.Errorf("connect: load %s: %w", id, err)
	}
	return r, nil
}

// view is the API form at now: a session past its expiry that is not
// completed shows as expired.
func (r *Record) view(now time.Time) Session {
	v := r.Session
	v.URL = nil
	if v.Status != StatusCompleted && !now.Before(v.ExpiresAt) {
		v.Status = StatusExpired
	}
	return v
}

// Get reads a session.
func Get(ctx context.Context, q store.Querier, project, id string, now time.Time) (*Session, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	v := r.view(now)
	return &v, nil
}

// Load reads a session with what only the pages see.
func Load(ctx context.Context, q store.Querier, project, id string) (*Record, error) {
	return load(ctx, q, project, id)
}

// update applies set (SQL assignments) to a session and records
// connectSession.updated with what changed.
func update(ctx context.Context, tx *store.Tx, r *Record, now time.Time, set string, args ...any) (*Record, error) {
	before := r.view(now)
	args = append(append([]any{store.Micros(now)}, args...), r.ID)
	if _, err := tx.Exec(ctx, `UPDATE connect_sessions SET updated_at = ?, `+set+` WHERE id = ?`, args...); err != nil {
		return nil, fmt.Errorf("connect: update %s: %w", r.ID, err)
	}
	after, err := load(ctx, tx, r.Project, r.ID)
	if err != nil {
		return nil, err
	}
	return after, events.RecordUpdate(ctx, tx, r.Project, "connectSession.updated", r.ID, before, after.view(now), now)
}

// Complete marks the intent done; result is what it produced (a
// subscription id, say), shown on the last page.
func Complete(ctx context.Context, tx *store.Tx, r *Record, result string, now time.Time) (*Record, error) {
	if r.Status == StatusCompleted {
		return r, nil
	}
	return update(ctx, tx, r, now, `status = ?, result = ?, completed_at = ?`, StatusCompleted, store.NullString(result), store.Micros(now))
}

// LinkUser ties the session to a user: one made by the checkout, or the
// owner of the email a one-time code proved.
func LinkUser(ctx context.Context, tx *store.Tx, r *Record, user string, now time.Time) (*Record, error) {
	return update(ctx, tx, r, now, `user_id = ?, authenticated = ?`, user, true)
}
