// Package portout lets a subscription's number leave for another carrier
// (reference §2.9, docs/porting.md "Porting numbers out"): the port-out
// resource, the credentials the recipient carrier needs, the user's
// consent when the project asks for it, and the end of the subscription
// when the number has left. It sits above subscriptions and consent and
// below lines, which settles the ended subscription's invoices.
package portout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
)

// Prefix is the id prefix of port-outs.
const Prefix = "pto"

// Statuses of a port-out.
const (
	StatusProcessing = "processing"
	StatusInitiated  = "initiated"
	StatusIssued     = "issued"
	StatusExpired    = "expired"
	StatusFailed     = "failed"
)

// Statuses lists every status, for filters.
var Statuses = []string{StatusProcessing, StatusInitiated, StatusIssued, StatusExpired, StatusFailed}

// Failure reasons (reference §2.9).
const (
	FailureConsentNotGiven        = "consentNotGiven"
	FailureConsentRequestCanceled = "consentRequestCanceled"
)

// EndedWindow is how long after its end a subscription's number can
// still be ported out.
const EndedWindow = 30 * 24 * time.Hour

func init() {
	events.Register("portOut.created", "portOut.issued", "portOut.updated")
}

// PortOut is the API representation.
type PortOut struct {
	Object        string     `json:"object"`
	ID            string     `json:"id"`
	Behavior      string     `json:"behavior"`
	CreatedAt     time.Time  `json:"createdAt"`
	ExpiredAt     *time.Time `json:"expiredAt"`
	FailureReason *string    `json:"failureReason"`
	Status        string     `json:"status"`
	Subscription  string     `json:"subscription"`
	User          string     `json:"user"`
}

// Credentials are what the recipient carrier needs to take the number:
// sensitive, served with Cache-Control: no-store and never logged or put
// in an event.
type Credentials struct {
	Object        string `json:"object"`
	AccountNumber string `json:"accountNumber"`
	AccountPin    string `json:"accountPin"`
	PortOut       string `json:"portOut"`
}

// record is the stored port-out; the credentials are read only by
// credentialsOf.
type record struct {
	ID, Project, Subscription, User, Provider, PhoneNumber, Status, FailureReason string
	ExpiredAt, PortedAt                                                           *time.Time
	CreatedAt                                                                     time.Time
}

func (r *record) view() *PortOut {
	return &PortOut{Object: "portOut", ID: r.ID, Behavior: "portOut", CreatedAt: r.CreatedAt, ExpiredAt: r.ExpiredAt,
		FailureReason: store.StringOrNil(r.FailureReason), Status: r.Status, Subscription: r.Subscription, User: r.User}
}

// open reports whether the port-out still holds its subscription: one
// open port-out per subscription.
func (r *record) open() bool {
	return r.PortedAt == nil && (r.Status == StatusProcessing || r.Status == StatusInitiated || r.Status == StatusIssued)
}

const columns = `id, project_id, subscription_id, user_id, provider, phone_number, status, failure_reason, expired_at, ported_at, created_at`

func scan(row store.Scanner) (*record, error) {
	var (
		r              record
		reason         sql.NullString
		expired, moved sql.NullInt64
		created        int64
	)
	if err := row.Scan(&r.ID, &r.Project, &r.Subscription, &r.User, &r.Provider, &r.PhoneNumber, &r.Status, &reason, &expired, &moved, &created); err != nil {
		return nil, err
	}
	r.FailureReason, r.ExpiredAt, r.PortedAt, r.CreatedAt = reason.String, store.NullTime(expired), store.NullTime(moved), store.Time(created)
	return &r, nil
}

func load(ctx context.Context, q store.Querier, project, id string) (*record, error) {
	r, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM port_outs WHERE id = ? AND project_id = ?`+store.LockInTx(q), id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("portOut", id)
	}
	if err != nil {
		return nil, fmt.Errorf("portout: load %s: %w", id, err)
	}
	return r, nil
}

func insert(ctx context.Context, tx *store.Tx, r *record) error {
	_, err := tx.Exec(ctx, `INSERT INTO port_outs (id, project_id, subscription_id, user_id, provider, phone_number, status,
		open_subscription_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Project, r.Subscription, r.User, r.Provider, r.PhoneNumber, r.Status, r.Subscription, store.Micros(r.CreatedAt), store.Micros(r.CreatedAt))
	if store.IsUniqueViolation(err) {
		return errs.Conflict("portOutAlreadyExists", "The subscription %s has a port-out in progress already.", r.Subscription)
	}
	if err != nil {
		return fmt.Errorf("portout: insert: %w", err)
	}
	return nil
}

// save writes the state back. A port-out that is no longer open frees its
// subscription and forgets the credentials.
func save(ctx context.Context, tx *store.Tx, r *record, now time.Time) error {
	var slot sql.NullString
	if r.open() {
		slot = store.NullString(r.Subscription)
	}
	_, err := tx.Exec(ctx, `UPDATE port_outs SET status = ?, failure_reason = ?, expired_at = ?, ported_at = ?, open_subscription_id = ?,
		updated_at = ? WHERE id = ?`, r.Status, store.NullString(r.FailureReason), store.NullMicros(r.ExpiredAt), store.NullMicros(r.PortedAt),
		slot, store.Micros(now), r.ID)
	if err == nil && (r.Status != StatusIssued || r.PortedAt != nil) {
		_, err = tx.Exec(ctx, `UPDATE port_outs SET account_number = NULL, account_pin = NULL WHERE id = ?`, r.ID)
	}
	if err != nil {
		return fmt.Errorf("portout: save %s: %w", r.ID, err)
	}
	return nil
}

// Get reads a port-out of the project.
func Get(ctx context.Context, q store.Querier, project, id string) (*PortOut, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return r.view(), nil
}

// Filter narrows a list.
type Filter struct{ Subscription, Status string }

// List pages through the project's port-outs, newest first.
func List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page) (store.PageOf[*PortOut], error) {
	lq := &store.ListQuery{Select: `SELECT ` + columns + ` FROM port_outs`}
	lq.Where("project_id = ?", project)
	for _, c := range []struct{ col, v string }{{"subscription_id", f.Subscription}, {"status", f.Status}} {
		if c.v != "" {
			lq.Where(c.col+" = ?", c.v)
		}
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*PortOut, string, error) {
		r, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		return r.view(), r.ID, nil
	})
}

// GetCredentials reads the credentials of an issued port-out; other
// statuses have none (409 portOutCredentialsNotAvailable).
func GetCredentials(ctx context.Context, q store.Querier, project, id string) (*Credentials, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusIssued || r.PortedAt != nil {
		return nil, errs.Conflict("portOutCredentialsNotAvailable", "The port-out %s is %s; credentials exist only while it is issued and the number has not left.", id, r.Status)
	}
	c := &Credentials{Object: "portOutCredentials", PortOut: id}
	if err := q.QueryRow(ctx, `SELECT account_number, account_pin FROM port_outs WHERE id = ?`, id).Scan(&c.AccountNumber, &c.AccountPin); err != nil {
		return nil, fmt.Errorf("portout: credentials of %s: %w", id, err)
	}
	return c, nil
}

// NumberConflict answers portingConflictsWithPortOut when the number has
// an open port-out in the project: it is on its way out, so it cannot be
// ported in.
func NumberConflict(ctx context.Context, q store.Querier, project, phone string) error {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM port_outs WHERE project_id = ? AND phone_number = ? AND open_subscription_id IS NOT NULL`,
		project, phone).Scan(&n)
	if err != nil {
		return fmt.Errorf("portout: port-outs of a number: %w", err)
	}
	if n > 0 {
		return errs.Conflict("portingConflictsWithPortOut", "The number %s has a port-out in progress in this project.", phone)
	}
	return nil
}

// Service is the port-out domain: it reaches the carriers and ends
// subscriptions whose number left.
type Service struct {
	DB            *store.DB
	Carriers      *network.Registry
	Subscriptions *subscriptions.Service
}

// Line names the line a port-out is about at its carrier: the provider,
// the subscription's ICCID and the number. The testing endpoint that
// plays the recipient carrier needs it.
func Line(ctx context.Context, q store.Querier, project, id string, now time.Time) (provider, iccid, phone string, err error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return "", "", "", err
	}
	sub, err := subscriptions.Get(ctx, q, project, r.Subscription, now)
	if err != nil {
		return "", "", "", err
	}
	if sub.SIM != nil {
		iccid = sub.SIM.ICCID
	}
	return r.Provider, iccid, r.PhoneNumber, nil
}
