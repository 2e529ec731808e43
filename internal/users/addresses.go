package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/geo"
	"cellgate/internal/ids"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// MaxAddressesPerUser is how many addresses a user may hold at once.
const MaxAddressesPerUser = 10

// maxAddressField bounds each address line.
const maxAddressField = 200

// Address is the API representation of a user address (reference §2.3).
type Address struct {
	Object     string    `json:"object"`
	ID         string    `json:"id"`
	City       string    `json:"city"`
	Country    string    `json:"country"`
	Line1      string    `json:"line1"`
	Line2      *string   `json:"line2"`
	PostalCode *string   `json:"postalCode"`
	State      *string   `json:"state"`
	User       string    `json:"user"`
	CreatedAt  time.Time `json:"createdAt"`
}

// AddressInput is the body of POST /users/{user}/addresses.
type AddressInput struct {
	Line1      string  `json:"line1"`
	Line2      *string `json:"line2"`
	City       string  `json:"city"`
	State      *string `json:"state"`
	PostalCode *string `json:"postalCode"`
	Country    string  `json:"country"`
}

// Check validates an address given elsewhere than as a user's address
// (the holder's address of a porting).
func (in AddressInput) Check() error { return in.check() }

func (in AddressInput) check() error {
	for _, f := range []struct{ name, value string }{{"line1", in.Line1}, {"city", in.City}, {"country", in.Country}} {
		if err := validate.Required(f.name, f.value); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name  string
		value *string
	}{{"line1", &in.Line1}, {"line2", in.Line2}, {"city", &in.City}, {"state", in.State}, {"postalCode", in.PostalCode}} {
		if f.value != nil {
			if err := validate.MaxLength(f.name, *f.value, maxAddressField); err != nil {
				return err
			}
		}
	}
	if !geo.ValidCountry(in.Country) {
		return errs.Invalid("userAddressInvalid", "country must be an ISO 3166-1 alpha-2 code such as US; got %q.", in.Country)
	}
	if in.Country == "US" {
		// US addresses drive sales tax, so they must name a real state.
		if in.State == nil || !geo.ValidUSState(*in.State) {
			return errs.Invalid("userAddressInvalid", "state must be a two-letter US state code such as NY for an address in the US.")
		}
		if in.PostalCode == nil || !validZIP(*in.PostalCode) {
			return errs.Invalid("userAddressInvalid", "postalCode must be a US ZIP code such as 10024 or 10024-1234 for an address in the US.")
		}
	}
	return nil
}

func validZIP(s string) bool {
	digits := func(s string) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	switch len(s) {
	case 5:
		return digits(s)
	case 10:
		return s[5] == '-' && digits(s[:5]) && digits(s[6:])
	}
	return false
}

// addressKey normalises an address for the uniqueness rule: case, spacing
// and punctuation do not make two addresses different.
func addressKey(in AddressInput) string {
	norm := func(p *string) string {
		if p == nil {
			return ""
		}
		f := strings.FieldsFunc(strings.ToLower(*p), func(r rune) bool {
			return r == ' ' || r == ',' || r == '.' || r == '\t'
		})
		return strings.Join(f, " ")
	}
	return strings.Join([]string{norm(&in.Line1), norm(in.Line2), norm(&in.City), norm(in.State), norm(in.PostalCode), in.Country}, "|")
}

// CreateAddress adds an address to a user.
func CreateAddress(ctx context.Context, tx *store.Tx, project, userID string, in AddressInput, now time.Time) (*Address, error) {
	if _, err := Get(ctx, tx, project, userID); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	var count int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM user_addresses WHERE user_id = ? AND deleted_at IS NULL`, userID).Scan(&count); err != nil {
		return nil, fmt.Errorf("users: count addresses: %w", err)
	}
	if count >= MaxAddressesPerUser {
		return nil, errs.Invalid("userAddressLimitReached", "A user can hold at most %d addresses; delete one first.", MaxAddressesPerUser)
	}
	a := &Address{Object: "userAddress", ID: ids.New(ids.Address), City: in.City, Country: in.Country, Line1: in.Line1,
		Line2: in.Line2, PostalCode: in.PostalCode, State: in.State, User: userID, CreatedAt: now}
	_, err := tx.Exec(ctx, `INSERT INTO user_addresses (id, project_id, user_id, line1, line2, city, state, postal_code, country, address_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, project, userID, a.Line1, a.Line2, a.City, a.State, a.PostalCode, a.Country, addressKey(in), store.Micros(now))
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("userAddressAlreadyExists", "The user already has this address.")
	}
	if err != nil {
		return nil, fmt.Errorf("users: create address: %w", err)
	}
	return a, events.Record(ctx, tx, project, "userAddress.created", a.ID, a, now)
}

const addressColumns = `id, user_id, line1, line2, city, state, postal_code, country, created_at`

func scanAddress(row interface{ Scan(...any) error }) (*Address, error) {
	var (
		a                        Address
		line2, state, postalCode sql.NullString
		createdAt                int64
	)
	if err := row.Scan(&a.ID, &a.User, &a.Line1, &line2, &a.City, &state, &postalCode, &a.Country, &createdAt); err != nil {
		return nil, err
	}
	a.Object, a.CreatedAt = "userAddress", store.Time(createdAt)
	a.Line2, a.State, a.PostalCode = nullString(line2), nullString(state), nullString(postalCode)
	return &a, nil
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// GetAddress reads an address; it is found only under the user who owns it,
// and only while that user exists: a deleted user's addresses are gone too.
// It does not lock the user: the renewal that prices an invoice at this
// address must not wait on, or hold up, other work on the same user. A
// change that needs the user to stay locks it first (Get).
func GetAddress(ctx context.Context, q store.Querier, project, userID, id string) (*Address, error) {
	u, err := GetIncludingDeleted(ctx, q, project, userID)
	if err != nil {
		return nil, err
	}
	if u.Status == StatusDeleted {
		return nil, errs.NotFound("user", userID)
	}
	a, err := scanAddress(q.QueryRow(ctx, `SELECT `+addressColumns+` FROM user_addresses
		WHERE id = ? AND user_id = ? AND project_id = ? AND deleted_at IS NULL`, id, userID, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("userAddress", id)
	}
	if err != nil {
		return nil, fmt.Errorf("users: get address %s: %w", id, err)
	}
	return a, nil
}

// FindAddress reads an address of the project by id alone, for resources
// such as subscriptions that name an address without its user.
func FindAddress(ctx context.Context, q store.Querier, project, id string) (*Address, error) {
	a, err := scanAddress(q.QueryRow(ctx, `SELECT `+addressColumns+` FROM user_addresses
		WHERE id = ? AND project_id = ? AND deleted_at IS NULL`, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("userAddress", id)
	}
	if err != nil {
		return nil, fmt.Errorf("users: find address %s: %w", id, err)
	}
	return a, nil
}

// ListAddresses pages through a user's addresses, newest first.
func ListAddresses(ctx context.Context, q store.Querier, project, userID string, p store.Page) (store.PageOf[*Address], error) {
	if _, err := Get(ctx, q, project, userID); err != nil {
		return store.PageOf[*Address]{}, err
	}
	lq := &store.ListQuery{Select: `SELECT ` + addressColumns + ` FROM user_addresses`}
	lq.Where("user_id = ?", userID).Where("project_id = ?", project).Where("deleted_at IS NULL")
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Address, string, error) {
		a, err := scanAddress(rows)
		if err != nil {
			return nil, "", err
		}
		return a, a.ID, nil
	})
}

// DeleteAddress removes an address from its user.
func DeleteAddress(ctx context.Context, tx *store.Tx, project, userID, id string, now time.Time) (*Address, error) {
	// The user's row is locked first, so two deletions take turns.
	if _, err := Get(ctx, tx, project, userID); err != nil {
		return nil, err
	}
	a, err := GetAddress(ctx, tx, project, userID, id)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE user_addresses SET deleted_at = ? WHERE id = ?`, store.Micros(now), id); err != nil {
		return nil, fmt.Errorf("users: delete address %s: %w", id, err)
	}
	return a, events.Record(ctx, tx, project, "userAddress.deleted", a.ID, a, now)
}
