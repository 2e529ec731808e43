package porting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/network"
	"cellgate/internal/store"
)

const columns = `id, project_id, user_id, subscription_id, provider, phone_number, status, donor_provider, donor_provider_approval,
	account_number, account_pin IS NOT NULL, first_name, last_name, birthday, address, declined_attempts, declined_code,
	declined_message, last_declined_at, last_requested_at, submissions, canceled_at, completed_at, expired_at, created_at`

func scan(row store.Scanner) (*Record, error) {
	var (
		r                                                   Record
		sub, donor, account, first, last, birthday, address sql.NullString
		code, message                                       sql.NullString
		approval                                            sql.NullBool
		declinedAt, requestedAt, canceled, completed, exp   sql.NullInt64
		created                                             int64
	)
	err := row.Scan(&r.ID, &r.Project, &r.User, &sub, &r.Provider, &r.PhoneNumber, &r.Status, &donor, &approval,
		&account, &r.pinExists, &first, &last, &birthday, &address, &r.DeclinedAttempts, &code,
		&message, &declinedAt, &requestedAt, &r.Submissions, &canceled, &completed, &exp, &created)
	if err != nil {
		return nil, err
	}
	r.Subscription, r.DonorProvider, r.AccountNumber = sub.String, donor.String, account.String
	r.FirstName, r.LastName, r.Birthday = first.String, last.String, birthday.String
	r.DeclinedCode, r.DeclinedMessage = code.String, message.String
	if approval.Valid {
		r.DonorProviderApproval = &approval.Bool
	}
	r.LastDeclinedAt, r.LastRequestedAt = store.NullTime(declinedAt), store.NullTime(requestedAt)
	r.CanceledAt, r.CompletedAt, r.ExpiredAt = store.NullTime(canceled), store.NullTime(completed), store.NullTime(exp)
	r.CreatedAt = store.Time(created)
	return &r, store.ScanNullJSON(address, &r.Address)
}

// load reads a porting of the project; in a write transaction the row is
// locked.
func load(ctx context.Context, q store.Querier, project, id string) (*Record, error) {
	r, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM portings WHERE id = ? AND project_id = ?`+store.LockInTx(q), id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("porting", id)
	}
	if err != nil {
		return nil, fmt.Errorf("porting: load %s: %w", id, err)
	}
	return r, nil
}

func insert(ctx context.Context, tx *store.Tx, r *Record) error {
	_, err := tx.Exec(ctx, `INSERT INTO portings (id, project_id, user_id, provider, phone_number, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Project, r.User, r.Provider, r.PhoneNumber, r.Status,
		store.Micros(r.CreatedAt), store.Micros(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("porting: insert: %w", err)
	}
	return nil
}

// save writes every mutable column back. The PIN is written only when
// setPIN: a new PIN, or "" to forget it.
func save(ctx context.Context, tx *store.Tx, r *Record, setPIN bool, now time.Time) error {
	var approval sql.NullBool
	if r.DonorProviderApproval != nil {
		approval = sql.NullBool{Bool: *r.DonorProviderApproval, Valid: true}
	}
	_, err := tx.Exec(ctx, `UPDATE portings SET subscription_id = ?, status = ?, donor_provider = ?, donor_provider_approval = ?,
		account_number = ?, first_name = ?, last_name = ?, birthday = ?, address = ?, declined_attempts = ?, declined_code = ?,
		declined_message = ?, last_declined_at = ?, last_requested_at = ?, submissions = ?, canceled_at = ?, completed_at = ?,
		expired_at = ?, updated_at = ? WHERE id = ?`,
		store.NullString(r.Subscription), r.Status, store.NullString(r.DonorProvider), approval, store.NullString(r.AccountNumber), store.NullString(r.FirstName), store.NullString(r.LastName),
		store.NullString(r.Birthday), store.NullJSON(r.Address), r.DeclinedAttempts, store.NullString(r.DeclinedCode), store.NullString(r.DeclinedMessage),
		store.NullMicros(r.LastDeclinedAt), store.NullMicros(r.LastRequestedAt), r.Submissions, store.NullMicros(r.CanceledAt),
		store.NullMicros(r.CompletedAt), store.NullMicros(r.ExpiredAt), store.Micros(now), r.ID)
	if err != nil {
		return fmt.Errorf("porting: save %s: %w", r.ID, err)
	}
	if setPIN {
		if _, err := tx.Exec(ctx, `UPDATE portings SET account_pin = ? WHERE id = ?`, store.NullString(r.AccountPIN), r.ID); err != nil {
			return fmt.Errorf("porting: save PIN of %s: %w", r.ID, err)
		}
		r.pinExists = r.AccountPIN != ""
	}
	return nil
}

// pinOf reads the stored PIN, for the call to the carrier only.
func pinOf(ctx context.Context, q store.Querier, id string) (string, error) {
	var pin sql.NullString
	err := q.QueryRow(ctx, `SELECT account_pin FROM portings WHERE id = ?`, id).Scan(&pin)
	return pin.String, err
}

// Get reads a porting as the API shows it.
func (s *Service) Get(ctx context.Context, q store.Querier, project, id string) (*Porting, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return r.view(s.Carriers), nil
}

// Embedded renders a porting inside another resource (a subscription's
// porting), which is read without the carriers' configuration: its
// service providers carry no recipientProviders and the recipient is named
// by its provider id. GET /portings/{id} shows them whole.
func Embedded(ctx context.Context, q store.Querier, project, id string) (*Porting, error) {
	r, err := load(ctx, q, project, id)
	if err != nil {
		return nil, err
	}
	return r.view(nil), nil
}

// Filter narrows a porting list.
type Filter struct {
	User, Subscription, Status, PhoneNumber string
}

// List pages through the project's portings, newest first.
func (s *Service) List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page) (store.PageOf[*Porting], error) {
	lq := &store.ListQuery{Select: `SELECT ` + columns + ` FROM portings`}
	lq.Where("project_id = ?", project)
	for _, c := range []struct{ col, v string }{{"user_id", f.User}, {"subscription_id", f.Subscription}, {"status", f.Status},
		{"phone_number", f.PhoneNumber}} {
		if c.v != "" {
			lq.Where(c.col+" = ?", c.v)
		}
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Porting, string, error) {
		r, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		return r.view(s.Carriers), r.ID, nil
	})
}

// Service is the porting domain; it reaches the recipient carriers.
type Service struct {
	DB       *store.DB
	Carriers *network.Registry
}
