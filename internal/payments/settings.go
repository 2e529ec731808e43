package payments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/validate"
)

// StripeID is the provider id of the Stripe adapter.
const StripeID = "stripe"

// DefaultRetryDays: a failed payment is tried again 3, 7, 14 and 21 days
// after its first failure, 4 retries over 21 days (seed 000).
var DefaultRetryDays = []int{3, 7, 14, 21}

// Settings is a project's payment provider (GET /paymentSettings). The
// Stripe secrets are held for the calls and never shown: the view says
// only whether they are set.
type Settings struct {
	Object            string      `json:"object"`
	Provider          *string     `json:"provider"`
	RetryScheduleDays []int       `json:"retryScheduleDays"`
	Stripe            *StripeView `json:"stripe"`
	secretKey         string
	webhookSecret     string
}

// StripeView is the Stripe configuration without its secrets.
type StripeView struct {
	SecretKeySet            bool    `json:"secretKeySet"`
	WebhookSigningSecretSet bool    `json:"webhookSigningSecretSet"`
	APIBase                 *string `json:"apiBase"`
}

// Enabled reports whether the project collects through a provider.
func (s *Settings) Enabled() bool { return s != nil && s.Provider != nil }

// SecretKey is the Stripe secret key, for the adapter only.
func (s *Settings) SecretKey() string { return s.secretKey }

// WebhookSecret is the Stripe webhook signing secret, for the intake only.
func (s *Settings) WebhookSecret() string { return s.webhookSecret }

// SettingsInput is the body of PATCH /paymentSettings: provider null turns
// collection off.
type SettingsInput struct {
	Provider          *string      `json:"provider"`
	RetryScheduleDays *[]int       `json:"retryScheduleDays"`
	Stripe            *StripeInput `json:"stripe"`
}

// StripeInput configures the Stripe adapter.
type StripeInput struct {
	SecretKey            string  `json:"secretKey"`
	WebhookSigningSecret string  `json:"webhookSigningSecret"`
	APIBase              *string `json:"apiBase"`
}

// Limits of the retry schedule.
const (
	maxRetries  = 10
	maxRetryDay = 60
)

// GetSettings reads a project's payment settings; Provider is nil when it
// has none. Within a batch of timers it is read once.
func GetSettings(ctx context.Context, q store.Querier, project string) (*Settings, error) {
	return timeline.Memo(ctx, q, "paymentSettings/"+project, func() (*Settings, error) {
		return readSettings(ctx, q, project)
	})
}

func readSettings(ctx context.Context, q store.Querier, project string) (*Settings, error) {
	s := &Settings{Object: "paymentSettings", RetryScheduleDays: DefaultRetryDays}
	var (
		provider, days           string
		secret, webhook, apiBase sql.NullString
	)
	err := q.QueryRow(ctx, `SELECT provider, secret_key, webhook_secret, api_base, retry_days FROM payment_settings WHERE project_id = ?`, project).
		Scan(&provider, &secret, &webhook, &apiBase, &days)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("payments: settings of %s: %w", project, err)
	}
	s.Provider = &provider
	if err := json.Unmarshal([]byte(days), &s.RetryScheduleDays); err != nil {
		return nil, fmt.Errorf("payments: retry days of %s: %w", project, err)
	}
	if provider == StripeID {
		s.secretKey, s.webhookSecret = secret.String, webhook.String
		s.Stripe = &StripeView{SecretKeySet: secret.String != "", WebhookSigningSecretSet: webhook.String != ""}
		if apiBase.Valid {
			s.Stripe.APIBase = &apiBase.String
		}
	}
	return s, nil
}

// UpdateSettings replaces a project's payment settings.
func UpdateSettings(ctx context.Context, tx *store.Tx, project string, in SettingsInput, now time.Time) (*Settings, error) {
	days := DefaultRetryDays
	if in.RetryScheduleDays != nil {
		days = *in.RetryScheduleDays
		if err := checkRetryDays(days); err != nil {
			return nil, err
		}
	}
	if in.Provider == nil {
		if in.Stripe != nil {
			return nil, errs.Invalid("fieldInvalid", "stripe is only given with provider stripe.")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM payment_settings WHERE project_id = ?`, project); err != nil {
			return nil, err
		}
		return readSettings(ctx, tx, project)
	}
	if err := validate.OneOf("provider", *in.Provider, SimulatorID, StripeID); err != nil {
		return nil, err
	}
	var secret, webhook, apiBase sql.NullString
	switch {
	case *in.Provider == StripeID && in.Stripe == nil:
		return nil, errs.Invalid("fieldRequired", "stripe is required with provider stripe: its secretKey and webhookSigningSecret.")
	case *in.Provider == SimulatorID && in.Stripe != nil:
		return nil, errs.Invalid("fieldInvalid", "stripe is only given with provider stripe.")
	case in.Stripe != nil:
		if err := checkStripe(*in.Stripe); err != nil {
			return nil, err
		}
		secret = sql.NullString{String: in.Stripe.SecretKey, Valid: true}
		webhook = sql.NullString{String: in.Stripe.WebhookSigningSecret, Valid: true}
		if in.Stripe.APIBase != nil {
			apiBase = sql.NullString{String: *in.Stripe.APIBase, Valid: true}
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO payment_settings (project_id, provider, secret_key, webhook_secret, api_base, retry_days, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (project_id) DO UPDATE SET provider = excluded.provider, secret_key = excluded.secret_key,
		webhook_secret = excluded.webhook_secret, api_base = excluded.api_base, retry_days = excluded.retry_days, updated_at = excluded.updated_at`,
		project, *in.Provider, secret, webhook, apiBase, store.JSON(days), store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("payments: store settings of %s: %w", project, err)
	}
	return readSettings(ctx, tx, project)
}

func checkRetryDays(days []int) error {
	if len(days) > maxRetries {
		return errs.Invalid("retryScheduleInvalid", "retryScheduleDays holds at most %d retries.", maxRetries)
	}
	last := 0
	for _, d := range days {
		if d <= last || d > maxRetryDay {
			return errs.Invalid("retryScheduleInvalid", "retryScheduleDays must be increasing days from 1 to %d after the first failure.", maxRetryDay)
		}
		last = d
	}
	return nil
}

func checkStripe(in StripeInput) error {
	if err := validate.Required("stripe.secretKey", in.SecretKey); err != nil {
		return err
	}
	if err := validate.Required("stripe.webhookSigningSecret", in.WebhookSigningSecret); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"stripe.secretKey", in.SecretKey}, {"stripe.webhookSigningSecret", in.WebhookSigningSecret}} {
		if err := validate.MaxLength(f.name, f.v, 255); err != nil {
			return err
		}
	}
	if in.APIBase != nil {
		u, err := url.Parse(*in.APIBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.Invalid("fieldInvalid", "stripe.apiBase must be an http or https URL.")
		}
	}
	return nil
}
