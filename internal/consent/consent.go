// Package consent asks users for their consent to sensitive actions
// (reference §2.18, docs/porting.md "Consent requests"). A request is
// made for one action on one subject (a port-out) when the project's
// consent setting names the action; the user gets an email with a
// single-use token, and approves or rejects with it. The package knows
// the subject by id only: the domain that asked acts on the decision.
package consent

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/email"
	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/users"
)

// Prefix is the id prefix of consent requests.
const Prefix = "csr"

// Statuses of a consent request.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
	StatusExpired  = "expired"
	StatusCanceled = "canceled"
)

// Statuses lists every status, for filters.
var Statuses = []string{StatusPending, StatusApproved, StatusRejected, StatusExpired, StatusCanceled}

// Lifetime is how long a user has to answer; then the request expires.
const Lifetime = 7 * 24 * time.Hour

// KindExpire is the timer that expires an unanswered request.
const KindExpire = "consentRequest.expire"

func init() {
	events.Register("consentRequest.created", "consentRequest.approved", "consentRequest.rejected",
		"consentRequest.expired", "consentRequest.canceled")
}

// Request is the API representation of a consent request.
type Request struct {
	Object         string     `json:"object"`
	ID             string     `json:"id"`
	Action         string     `json:"action"`
	CreatedAt      time.Time  `json:"createdAt"`
	DecidedAt      *time.Time `json:"decidedAt"`
	DeliveryMethod string     `json:"deliveryMethod"`
	ExpiresAt      time.Time  `json:"expiresAt"`
	Status         string     `json:"status"`
	Subject        string     `json:"subject"`
	User           string     `json:"user"`
}

const columns = `id, project_id, user_id, action, subject, status, delivery, expires_at, decided_at, created_at`

// Record is a stored request with its project.
type Record struct {
	Request
	Project string
}

func scan(row store.Scanner) (*Record, error) {
	var (
		r                Record
		expires, created int64
		decided          sql.NullInt64
	)
	err := row.Scan(&r.ID, &r.Project, &r.User, &r.Action, &r.Subject, &r.Status, &r.DeliveryMethod, &expires, &decided, &created)
	if err != nil {
		return nil, err
	}
	r.Object, r.ExpiresAt, r.DecidedAt, r.CreatedAt = "consentRequest", store.Time(expires), store.NullTime(decided), store.Time(created)
	return &r, nil
}

func load(ctx context.Context, q store.Querier, project, id string) (*Record, error) {
	r, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM consent_requests WHERE id = ? AND project_id = ?`+store.LockInTx(q), id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("consentRequest", id)
	}
	if err != nil {
		return nil, fmt.Errorf("consent: load %s: %w", id, err)
	}
	return r, nil
}

// Get reads a request of the project.
func Get(ctx context.Context, q store.Querier, project, id string) (*Request, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return &r.Request, nil
}

// Filter narrows a list.
type Filter struct{ Subject, User, Status string }

// List pages through the project's requests, newest first.
func List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page) (store.PageOf[*Request], error) {
	lq := &store.ListQuery{Select: `SELECT ` + columns + ` FROM consent_requests`}
	lq.Where("project_id = ?", project)
	for _, c := range []struct{ col, v string }{{"subject", f.Subject}, {"user_id", f.User}, {"status", f.Status}} {
		if c.v != "" {
			lq.Where(c.col+" = ?", c.v)
		}
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Request, string, error) {
		r, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		return &r.Request, r.ID, nil
	})
}

// newToken signs the request's id, action and subject with a key drawn
// for this request alone (HMAC-SHA256). The key is then dropped and only
// the token's SHA-256 is stored: the token cannot be rebuilt from the
// database, and it names its request, so a check is one lookup.
func newToken(id, action, subject string) (token, hash string) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "\x00" + action + "\x00" + subject))
	token = id + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	return token, hashToken(token)
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Ask records a pending request for action on subject and sends it to
// the user by email, in tx. publicURL is where the user's page is; the
// token travels in the link's fragment, which no server log sees.
func Ask(ctx context.Context, tx *store.Tx, p *projects.Project, user, action, subject, publicURL string, now time.Time) (*Request, error) {
	u, err := users.Get(ctx, tx, p.ID, user)
	if err != nil {
		return nil, err
	}
	id := ids.New(Prefix)
	token, hash := newToken(id, action, subject)
	r := &Record{Project: p.ID, Request: Request{Object: "consentRequest", ID: id, Action: action, CreatedAt: now,
		DeliveryMethod: projects.ConsentDeliveryEmail, ExpiresAt: now.Add(Lifetime), Status: StatusPending, Subject: subject, User: user}}
	_, err = tx.Exec(ctx, `INSERT INTO consent_requests (id, project_id, user_id, action, subject, status, token_hash, delivery,
		expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Project, r.User, r.Action, r.Subject,
		r.Status, hash, r.DeliveryMethod, store.Micros(r.ExpiresAt), store.Micros(now), store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("consent: insert: %w", err)
	}
	body := fmt.Sprintf("%s asks for your consent to %s.\n\nReview and approve or reject it here (the link works once, until %s):\n%s/consent#%s\n",
		p.Name, describe(action), r.ExpiresAt.Format(time.RFC1123), strings.TrimSuffix(publicURL, "/"), token)
	if _, err := email.Send(ctx, tx, p.ID, u.Email, "Your consent is needed: "+describe(action), body, now); err != nil {
		return nil, err
	}
	if err := timeline.Schedule(ctx, tx, p.ID, KindExpire, r.ID, r.ExpiresAt); err != nil {
		return nil, err
	}
	return &r.Request, events.Record(ctx, tx, p.ID, "consentRequest.created", r.ID, &r.Request, now)
}

func describe(action string) string {
	if action == projects.ConsentPortOut {
		return "move your phone number to another carrier (port-out)"
	}
	return action
}

// ErrTokenInvalid answers every token that does not verify, alike.
var errTokenInvalid = errs.Invalid("consentTokenInvalid", "The consent token is not valid.")

// ByToken finds the request a token names and checks the token, for a
// decision; the row is locked in tx.
func ByToken(ctx context.Context, tx *store.Tx, token string) (*Record, error) {
	id, _, ok := strings.Cut(token, ".")
	if !ok || !strings.HasPrefix(id, Prefix+"_") || len(token) > 200 {
		return nil, errTokenInvalid
	}
	var hash string
	err := tx.QueryRow(ctx, `SELECT token_hash FROM consent_requests WHERE id = ?`, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(hash), []byte(hashToken(token))) {
		return nil, errTokenInvalid
	}
	var project string
	if err := tx.QueryRow(ctx, `SELECT project_id FROM consent_requests WHERE id = ?`, id).Scan(&project); err != nil {
		return nil, err
	}
	return load(ctx, tx, project, id)
}

// Decide records the user's answer: approved or rejected. A request is
// answered once: the token is single-use.
func Decide(ctx context.Context, tx *store.Tx, r *Record, approve bool, now time.Time) error {
	if r.Status != StatusPending {
		return errs.Conflict("consentRequestAlreadyDecided", "The consent request %s is %s; a token is used once.", r.ID, r.Status)
	}
	if !now.Before(r.ExpiresAt) {
		return errs.Conflict("consentRequestExpired", "The consent request %s expired at %s.", r.ID, r.ExpiresAt.Format(time.RFC3339))
	}
	status, event := StatusRejected, "consentRequest.rejected"
	if approve {
		status, event = StatusApproved, "consentRequest.approved"
	}
	ctx = events.WithActor(ctx, events.Actor{Type: "user", User: r.User})
	return finish(ctx, tx, r, status, event, now)
}

// Cancel withdraws a pending request (the project no longer wants the
// action).
func Cancel(ctx context.Context, tx *store.Tx, r *Record, now time.Time) error {
	if r.Status != StatusPending {
		return errs.Conflict("consentRequestNotCancelable", "The consent request %s is %s; only a pending one can be canceled.", r.ID, r.Status)
	}
	return finish(ctx, tx, r, StatusCanceled, "consentRequest.canceled", now)
}

// Load reads a request of the project, locked in tx.
func Load(ctx context.Context, tx *store.Tx, project, id string) (*Record, error) {
	return load(ctx, tx, project, id)
}

// Expire ends a request nobody answered; false when it was answered.
func Expire(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Record, bool, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil || r.Status != StatusPending {
		return r, false, err
	}
	return r, true, finish(ctx, tx, r, StatusExpired, "consentRequest.expired", now)
}

func finish(ctx context.Context, tx *store.Tx, r *Record, status, event string, now time.Time) error {
	r.Status = status
	if status == StatusApproved || status == StatusRejected {
		r.DecidedAt = &now
	}
	if status != StatusExpired {
		if err := timeline.Cancel(ctx, tx, KindExpire, r.ID); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE consent_requests SET status = ?, decided_at = ?, updated_at = ? WHERE id = ?`,
		r.Status, store.NullMicros(r.DecidedAt), store.Micros(now), r.ID)
	if err != nil {
		return fmt.Errorf("consent: save %s: %w", r.ID, err)
	}
	return events.Record(ctx, tx, r.Project, event, r.ID, &r.Request, now)
}
