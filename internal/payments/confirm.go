package payments

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/store"
)

func init() { events.Register("paymentMethod.confirmed") }

// Statuses of payment methods (reference §3.6).
const (
	StatusAvailable            = "available"
	StatusRequiresConfirmation = "requiresConfirmation"
)

// Confirmer is a provider whose methods may need their holder's
// confirmation (status requiresConfirmation, with a clientSecret): the
// holder confirms on the provider's side with the secret, and
// ConfirmMethod is the provider's answer, the method as it now is.
type Confirmer interface {
	ConfirmMethod(ctx context.Context, methodRef, clientSecret string) (Method, error)
}

// ConfirmInput is the body of a confirmation.
type ConfirmInput struct {
	ClientSecret string `json:"clientSecret"`
}

// Check validates the body alone.
func (in ConfirmInput) Check() error {
	if in.ClientSecret == "" {
		return errs.Invalid("fieldRequired", "clientSecret is required: the one the method was created with.")
	}
	return nil
}

// CheckConfirmable reads a method waiting for confirmation whose client
// secret is secret, for the call to the provider that follows; its ref is
// what the provider knows it by. A method that needs no confirmation is
// 409 paymentMethodNotConfirmable, a wrong secret 422
// paymentMethodClientSecretInvalid.
func CheckConfirmable(ctx context.Context, q store.Querier, project, id, secret string) (*PaymentMethod, string, error) {
	m, err := GetMethod(ctx, q, project, id)
	if err != nil {
		return nil, "", err
	}
	if m.Status != StatusRequiresConfirmation {
		return nil, "", errs.Conflict("paymentMethodNotConfirmable", "The payment method %s is %s: only a method that requires confirmation is confirmed.", id, m.Status)
	}
	var stored sql.NullString
	if err := q.QueryRow(ctx, `SELECT client_secret FROM payment_methods WHERE id = ?`, id).Scan(&stored); err != nil {
		return nil, "", fmt.Errorf("payments: secret of %s: %w", id, err)
	}
	if !stored.Valid || subtle.ConstantTimeCompare([]byte(stored.String), []byte(secret)) != 1 {
		return nil, "", errs.Invalid("paymentMethodClientSecretInvalid", "clientSecret is not the payment method's.")
	}
	return m, m.ref, nil
}

// Confirmed stores the provider's answer to a confirmation: an available
// method becomes the user's default (the newest usable one), its secret is
// dropped, and the user's failing payments are collected on it at once,
// as for a new method. Collection waited for it: until then the method was
// never charged. The user must be locked by the caller.
func Confirmed(ctx context.Context, tx *store.Tx, project, id string, pm Method, now time.Time) (*PaymentMethod, error) {
	m, err := GetMethod(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if m.Status != StatusRequiresConfirmation || pm.Status != StatusAvailable {
		return m, nil // confirmed meanwhile, or the provider still waits
	}
	if _, err := tx.Exec(ctx, `UPDATE payment_methods SET is_default = FALSE WHERE project_id = ? AND user_id = ? AND is_default`, project, m.User); err != nil {
		return nil, err
	}
	ref := m.ref
	if pm.Ref != "" {
		ref = pm.Ref
	}
	if _, err := tx.Exec(ctx, `UPDATE payment_methods SET status = 'available', ref = ?, client_secret = NULL, is_default = TRUE WHERE id = ?`,
		ref, id); err != nil {
		return nil, fmt.Errorf("payments: confirm %s: %w", id, err)
	}
	m.Status, m.Default, m.ref = StatusAvailable, true, ref
	if err := events.Record(ctx, tx, project, "paymentMethod.confirmed", m.ID, m, now); err != nil {
		return nil, err
	}
	return m, CollectNow(ctx, tx, project, m.User, now)
}

// ConfirmMethod implements Confirmer: the secret must be the one the
// simulator gave the method. The confirmed card is a new one at the
// simulator (ref simpm_confirmed_...), which always succeeds.
func (s *Simulator) ConfirmMethod(_ context.Context, ref, secret string) (Method, error) {
	if behaviorOf(ref) != behaveConfirm || !strings.HasPrefix(secret, ref+"_secret_") {
		return Method{}, errs.Invalid("paymentMethodClientSecretInvalid", "clientSecret is not the payment method's.")
	}
	return Method{Ref: "simpm_confirmed_" + randomHex(8), Status: StatusAvailable}, nil
}
