package payments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/store"
)

// MethodPrefix is the id prefix of payment methods (reference §3.6).
const MethodPrefix = "pm"

func init() {
	events.Register("paymentMethod.created", "paymentMethod.deleted")
}

// PaymentMethod is the API representation (reference §3.6).
type PaymentMethod struct {
	Object string  `json:"object"`
	ID     string  `json:"id"`
	Brand  *string `json:"brand"`
	// ClientSecret is shown once, in the answer that creates a method
	// needing confirmation; reads and events never carry it.
	ClientSecret *string   `json:"clientSecret"`
	CreatedAt    time.Time `json:"createdAt"`
	Default      bool      `json:"default"`
	Last4        *string   `json:"last4"`
	Provider     string    `json:"provider"`
	Status       string    `json:"status"`
	Type         string    `json:"type"`
	User         string    `json:"user"`
	ref          string
}

// MethodInput is the body of POST /paymentMethods: a token made by the
// provider's client side for the user.
type MethodInput struct {
	User  string `json:"user"`
	Token string `json:"token"`
}

// Check validates the body before any call.
func (in MethodInput) Check() error {
	if in.User == "" {
		return errs.Invalid("fieldRequired", "user is required.")
	}
	if in.Token == "" {
		return errs.Invalid("paymentMethodRequired", "token is required: the provider's token for the payment method.")
	}
	if len(in.Token) > 255 {
		return errs.Invalid("paymentMethodAccountInvalid", "token is longer than 255 characters.")
	}
	return nil
}

const methodColumns = `id, user_id, provider, ref, type, brand, last4, status, is_default, created_at`

func scanMethod(row store.Scanner) (*PaymentMethod, error) {
	var (
		m            PaymentMethod
		brand, last4 sql.NullString
		created      int64
	)
	if err := row.Scan(&m.ID, &m.User, &m.Provider, &m.ref, &m.Type, &brand, &last4, &m.Status, &m.Default, &created); err != nil {
		return nil, err
	}
	m.Object, m.CreatedAt = "paymentMethod", store.Time(created)
	if brand.Valid {
		m.Brand = &brand.String
	}
	if last4.Valid {
		m.Last4 = &last4.String
	}
	return &m, nil
}

// GetMethod reads a payment method that is not detached.
func GetMethod(ctx context.Context, q store.Querier, project, id string) (*PaymentMethod, error) {
	m, err := scanMethod(q.QueryRow(ctx, `SELECT `+methodColumns+` FROM payment_methods WHERE id = ? AND project_id = ? AND detached_at IS NULL`, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("paymentMethod", id)
	}
	if err != nil {
		return nil, fmt.Errorf("payments: method %s: %w", id, err)
	}
	return m, nil
}

// ListMethods pages through the project's payment methods, newest first;
// user "" lists every user's.
func ListMethods(ctx context.Context, q store.Querier, project, user string, p store.Page) (store.PageOf[*PaymentMethod], error) {
	lq := &store.ListQuery{Select: `SELECT ` + methodColumns + ` FROM payment_methods`}
	lq.Where("project_id = ? AND detached_at IS NULL", project)
	if user != "" {
		lq.Where("user_id = ?", user)
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*PaymentMethod, string, error) {
		m, err := scanMethod(rows)
		if err != nil {
			return nil, "", err
		}
		return m, m.ID, nil
	})
}

// defaultMethod is the user's default method, nil when the user has none.
func defaultMethod(ctx context.Context, q store.Querier, project, user string) (*PaymentMethod, error) {
	m, err := scanMethod(q.QueryRow(ctx, `SELECT `+methodColumns+` FROM payment_methods
		WHERE project_id = ? AND user_id = ? AND is_default AND detached_at IS NULL`, project, user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return m, err
}

// CustomerRef is the user's customer at the provider, "" when not made yet.
func CustomerRef(ctx context.Context, q store.Querier, project, user, provider string) (string, error) {
	var ref string
	err := q.QueryRow(ctx, `SELECT ref FROM payment_customers WHERE project_id = ? AND user_id = ? AND provider = ?`, project, user, provider).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return ref, err
}

// SaveMethod stores a method the provider attached, as the user's default
// (the newest method is the one to charge), with its customer. The user
// must be locked by the caller. The method's clientSecret stays on the
// returned value only.
func SaveMethod(ctx context.Context, tx *store.Tx, project, user, provider, customer string, pm Method, now time.Time) (*PaymentMethod, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO payment_customers (project_id, user_id, provider, ref) VALUES (?, ?, ?, ?)
		ON CONFLICT (project_id, user_id, provider) DO NOTHING`, project, user, provider, customer); err != nil {
		return nil, fmt.Errorf("payments: customer of %s: %w", user, err)
	}
	usable := pm.Status == "available"
	if usable {
		if _, err := tx.Exec(ctx, `UPDATE payment_methods SET is_default = FALSE WHERE project_id = ? AND user_id = ? AND is_default`, project, user); err != nil {
			return nil, err
		}
	}
	m := &PaymentMethod{Object: "paymentMethod", ID: ids.New(MethodPrefix), CreatedAt: now, Default: usable, Provider: provider,
		Status: pm.Status, Type: pm.Type, User: user, ref: pm.Ref}
	if pm.Brand != "" {
		m.Brand = &pm.Brand
	}
	if pm.Last4 != "" {
		m.Last4 = &pm.Last4
	}
	_, err := tx.Exec(ctx, `INSERT INTO payment_methods (id, project_id, user_id, provider, ref, type, brand, last4, status, client_secret, is_default, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, project, user, provider, pm.Ref, pm.Type, m.Brand, m.Last4, pm.Status,
		sql.NullString{String: pm.ClientSecret, Valid: pm.ClientSecret != ""}, usable, store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("payments: insert method: %w", err)
	}
	if err := events.Record(ctx, tx, project, "paymentMethod.created", m.ID, m, now); err != nil {
		return nil, err
	}
	if pm.ClientSecret != "" {
		secret := pm.ClientSecret
		shown := *m
		shown.ClientSecret = &secret
		return &shown, nil
	}
	return m, nil
}

// DetachMethod removes a payment method; when it was the default, the
// newest remaining available method becomes the default.
func DetachMethod(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*PaymentMethod, error) {
	m, err := GetMethod(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE payment_methods SET detached_at = ?, is_default = FALSE WHERE id = ?`, store.Micros(now), id); err != nil {
		return nil, err
	}
	if m.Default {
		_, err := tx.Exec(ctx, `UPDATE payment_methods SET is_default = TRUE WHERE id = (SELECT id FROM payment_methods
			WHERE project_id = ? AND user_id = ? AND detached_at IS NULL AND status = 'available' ORDER BY id DESC LIMIT 1)`, project, m.User)
		if err != nil {
			return nil, err
		}
	}
	m.Default = false
	return m, events.Record(ctx, tx, project, "paymentMethod.deleted", m.ID, m, now)
}
