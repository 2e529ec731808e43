package porting

import (
	"context"
	"regexp"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/optional"
	"cellgate/internal/store"
	"cellgate/internal/users"
	"cellgate/internal/validate"
)

// UpdateInput is the body of PATCH /portings/{id}: the details the donor
// carrier checks. null clears a field.
type UpdateInput struct {
	AccountNumber         optional.Value[string]  `json:"accountNumber"`
	AccountPin            optional.Value[string]  `json:"accountPin"`
	Address               optional.Value[Address] `json:"address"`
	Birthday              optional.Value[string]  `json:"birthday"`
	DonorProvider         optional.Value[string]  `json:"donorProvider"`
	DonorProviderApproval optional.Value[bool]    `json:"donorProviderApproval"`
	FirstName             optional.Value[string]  `json:"firstName"`
	LastName              optional.Value[string]  `json:"lastName"`
}

var (
	accountNumberPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,30}$`)
	// A US carrier PIN or passcode is 4 to 10 digits; a UK PAC is three
	// letters and six digits (reference §1.5).
	usPINPattern = regexp.MustCompile(`^[0-9]{4,10}$`)
	ukPACPattern = regexp.MustCompile(`^[A-Za-z]{3}[0-9]{6}$`)
)

const maxNameLength = 100

// Update sets the details the donor needs. A porting of a subscription
// that then has everything is sent to the carrier (pending, then
// requested); a declined one is sent again, which is how a decline is
// fixed.
func (s *Service) Update(ctx context.Context, tx *store.Tx, project, id string, in UpdateInput, now time.Time) (*Porting, error) {
	r, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case StatusDraft, StatusInformationRequired, StatusDeclined:
	case StatusPending, StatusRequested:
		return nil, errs.Conflict("portingNotUpdatable", "The porting %s is %s: it is with the carrier and cannot change until the carrier answers.", id, r.Status)
	default:
		return nil, errs.Conflict("portingNotUpdatable", "The porting %s is %s and cannot change.", id, r.Status)
	}
	before := r.view(s.Carriers)
	setPIN, err := s.apply(r, in)
	if err != nil {
		return nil, err
	}
	if r.Subscription != "" {
		if err := s.advance(ctx, tx, r, now); err != nil {
			return nil, err
		}
	}
	if err := save(ctx, tx, r, setPIN, now); err != nil {
		return nil, err
	}
	after := r.view(s.Carriers)
	return after, events.RecordUpdate(ctx, tx, project, "porting.updated", id, before, after, now)
}

// apply checks every given field, then sets them; it reports whether the
// PIN changed. Messages never quote a PIN.
func (s *Service) apply(r *Record, in UpdateInput) (bool, error) {
	country := ""
	if info, ok := s.Carriers.Info(r.Provider); ok {
		country = info.HomeCountry
	}
	if in.DonorProvider.Present() {
		d, err := donorFor(s.Carriers, in.DonorProvider.Value, r.Provider)
		if err != nil {
			return false, err
		}
		country = d.Country
	}
	if v := in.AccountNumber; v.Present() && !accountNumberPattern.MatchString(v.Value) {
		return false, errs.Invalid("accountNumberInvalid", "accountNumber must be 1 to 30 letters, digits or hyphens.")
	}
	if v := in.AccountPin; v.Present() {
		if country == "GB" && !ukPACPattern.MatchString(v.Value) {
			return false, errs.Invalid("portingAccountPinForPortInBehaviorInvalid", "accountPin must be a PAC of three letters then six digits.")
		}
		if country != "GB" && !usPINPattern.MatchString(v.Value) {
			return false, errs.Invalid("accountPinInvalid", "accountPin must be 4 to 10 digits.")
		}
	}
	for _, f := range []struct {
		name string
		v    optional.Value[string]
	}{{"firstName", in.FirstName}, {"lastName", in.LastName}} {
		if !f.v.Present() {
			continue
		}
		if err := validate.Required(f.name, f.v.Value); err != nil {
			return false, err
		}
		if err := validate.MaxLength(f.name, f.v.Value, maxNameLength); err != nil {
			return false, err
		}
	}
	if v := in.Birthday; v.Present() {
		if _, err := validate.Date("birthday", v.Value); err != nil {
			return false, err
		}
	}
	if v := in.Address; v.Present() {
		a := v.Value
		if err := (users.AddressInput{Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country}).Check(); err != nil {
			if e, ok := errs.As(err); ok {
				return false, errs.Invalid("addressInvalid", "address: %s", e.Message)
			}
			return false, err
		}
	}
	set := func(dst *string, v optional.Value[string]) {
		if v.Set {
			*dst = v.Value
		}
	}
	set(&r.AccountNumber, in.AccountNumber)
	set(&r.FirstName, in.FirstName)
	set(&r.LastName, in.LastName)
	set(&r.Birthday, in.Birthday)
	set(&r.DonorProvider, in.DonorProvider)
	set(&r.AccountPIN, in.AccountPin)
	if in.Address.Set {
		r.Address = in.Address.Ptr()
	}
	if in.DonorProviderApproval.Set {
		r.DonorProviderApproval = in.DonorProviderApproval.Ptr()
	}
	if in.AccountPin.Set {
		r.pinExists = r.AccountPIN != ""
	}
	return in.AccountPin.Set, nil
}
