package porting

import (
	"context"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/timeline"
	"cellgate/internal/users"
	"cellgate/internal/validate"
)

// Timer kinds of portings.
const (
	// KindDeleteDraft deletes a draft no subscription took.
	KindDeleteDraft = "porting.deleteDraft"
	// KindExpire ends a porting that did not complete in time; it is run
	// by the package that also ends the subscription (package lines).
	KindExpire = "porting.expire"
)

// CreateInput is the body of POST /portings.
type CreateInput struct {
	PhoneNumber string `json:"phoneNumber"`
	Provider    string `json:"provider"`
	User        string `json:"user"`
}

// Create checks that the number can be ported in to the provider and
// records a draft; a subscription that names it starts the porting.
func (s *Service) Create(ctx context.Context, tx *store.Tx, project string, in CreateInput, now time.Time) (*Porting, error) {
	for _, f := range []struct{ name, v string }{{"phoneNumber", in.PhoneNumber}, {"provider", in.Provider}, {"user", in.User}} {
		if err := validate.Required(f.name, f.v); err != nil {
			return nil, err
		}
	}
	if err := validate.PhoneNumber("phoneNumber", in.PhoneNumber); err != nil {
		return nil, err
	}
	info, ok := s.Carriers.Info(in.Provider)
	if !ok {
		return nil, errs.Invalid("portingProviderNotFound", "provider %q is not a provider of this server.", in.Provider)
	}
	if !strings.HasPrefix(in.PhoneNumber, "+"+info.CountryCode) {
		return nil, errs.Invalid("portingNotSupported", "Provider %s takes numbers of country code +%s only; %s is not one.", in.Provider, info.CountryCode, in.PhoneNumber)
	}
	user, err := users.Get(ctx, tx, project, in.User)
	if err != nil {
		if errs.IsKind(err, errs.KindNotFound) {
			return nil, errs.Invalid("userNotFound", "user %q is not a user of this project.", in.User)
		}
		return nil, err
	}
	if err := s.eligible(ctx, tx, project, user.ID, in.PhoneNumber); err != nil {
		return nil, err
	}
	r := &Record{ID: ids.New(Prefix), Project: project, User: user.ID, Provider: in.Provider, PhoneNumber: in.PhoneNumber,
		Status: StatusDraft, CreatedAt: now}
	if err := insert(ctx, tx, r); err != nil {
		return nil, err
	}
	if err := timeline.Schedule(ctx, tx, project, KindDeleteDraft, r.ID, now.Add(DraftLifetime)); err != nil {
		return nil, err
	}
	v := r.view(s.Carriers)
	return v, events.Record(ctx, tx, project, "porting.created", r.ID, v, now)
}

// eligible refuses a number this project already has or is already
// bringing in, and a user with too many drafts.
func (s *Service) eligible(ctx context.Context, tx *store.Tx, project, user, phone string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM portings WHERE project_id = ? AND phone_number = ?
		AND status NOT IN ('canceled', 'expired', 'completed')`, project, phone).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.Conflict("portingAlreadyExists", "The number %s already has a porting in this project that is not finished.", phone)
	}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND phone_number = ? AND status <> 'ended'`,
		project, phone).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		// A number ported in earlier is a subscription's number too.
		return errs.Conflict("portingPhoneNumberInUse", "The number %s is already the number of a subscription of this project.", phone)
	}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM portings WHERE project_id = ? AND user_id = ? AND status = 'draft'`,
		project, user).Scan(&n); err != nil {
		return err
	}
	if n >= MaxDraftsPerUser {
		return errs.Conflict("portingPerUserLimitExceeded", "User %s already has %d draft portings; use or delete one first.", user, n).
			WithHint("Drafts no subscription uses are deleted 30 days after they were created.")
	}
	return nil
}

// Handlers are the porting timers that involve nothing but portings.
func Handlers() timeline.Handlers {
	return timeline.Handlers{KindDeleteDraft: deleteDraft}
}

// deleteDraft removes a draft that no subscription took in its 30 days.
func deleteDraft(ctx context.Context, tx *store.Tx, t timeline.Timer, _ time.Time) error {
	_, err := tx.Exec(ctx, `DELETE FROM portings WHERE id = ? AND status = 'draft' AND subscription_id IS NULL`, t.Subject)
	return err
}
