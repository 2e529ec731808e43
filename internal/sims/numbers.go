package sims

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
)

// numberFormats gives, per E.164 country code, the national prefix and
// digit count of numbers the simulator mints: ranges set aside for fiction
// where they exist, so no real subscriber's number is handed out.
var numberFormats = map[string]struct {
	prefix string
	digits int
}{
	"1":  {"555", 7},  // +1 555 xxxxxxx
	"44": {"7700", 6}, // +44 7700 xxxxxx
}

// AssignNumber gives the SIM a number from its provider's pool: a number a
// retired SIM gave back, else a new one. A SIM that already has a number
// keeps it.
func AssignNumber(ctx context.Context, tx *store.Tx, carriers *network.Registry, r *Record, now time.Time) (string, error) {
	if r.PhoneNumber != "" {
		return r.PhoneNumber, nil
	}
	number, err := reuseNumber(ctx, tx, r)
	if err != nil {
		return "", err
	}
	if number == "" {
		if number, err = mintNumber(ctx, tx, carriers, r, now); err != nil {
			return "", err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE sims SET phone_number = ? WHERE id = ?`, number, r.ID); err != nil {
		return "", fmt.Errorf("sims: set number: %w", err)
	}
	r.PhoneNumber = number
	return number, nil
}

func reuseNumber(ctx context.Context, tx *store.Tx, r *Record) (string, error) {
	var number string
	err := tx.QueryRow(ctx, `SELECT number FROM phone_numbers WHERE provider = ? AND sim_id IS NULL ORDER BY number LIMIT 1`+tx.Dialect().ForUpdate(), r.Provider).Scan(&number)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sims: find a free number: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE phone_numbers SET sim_id = ? WHERE number = ?`, r.ID, number); err != nil {
		return "", fmt.Errorf("sims: take number: %w", err)
	}
	return number, nil
}

func mintNumber(ctx context.Context, tx *store.Tx, carriers *network.Registry, r *Record, now time.Time) (string, error) {
	profile, ok := carriers.Info(r.Provider)
	if !ok {
		return "", fmt.Errorf("sims: unknown provider %q", r.Provider)
	}
	format, ok := numberFormats[profile.CountryCode]
	if !ok {
		return "", fmt.Errorf("sims: no number format for country code %s", profile.CountryCode)
	}
	// The upsert both creates the sequence and takes the next value under
	// the row lock, so concurrent mints never collide.
	var next int64
	err := tx.QueryRow(ctx, `INSERT INTO number_sequences (provider, next) VALUES (?, 1)
		ON CONFLICT (provider) DO UPDATE SET next = number_sequences.next + 1 RETURNING next`, r.Provider).Scan(&next)
	if err != nil {
		return "", fmt.Errorf("sims: next number: %w", err)
	}
	// Numbers of several providers sharing a country code must not clash:
	// the provider's position in the configuration interleaves them.
	seq := next*int64(len(carriers.IDs())) + int64(carriers.Index(r.Provider))
	national := fmt.Sprintf("%s%0*d", format.prefix, format.digits, seq)
	if len(national) > len(format.prefix)+format.digits {
		return "", fmt.Errorf("sims: provider %s has run out of numbers", r.Provider)
	}
	number := "+" + profile.CountryCode + national
	if _, err := tx.Exec(ctx, `INSERT INTO phone_numbers (number, provider, sim_id, created_at) VALUES (?, ?, ?, ?)`,
		number, r.Provider, r.ID, store.Micros(now)); err != nil {
		return "", fmt.Errorf("sims: mint number: %w", err)
	}
	return number, nil
}

// releaseNumber returns a retired SIM's number to the pool.
func releaseNumber(ctx context.Context, tx *store.Tx, r *Record) error {
	if _, err := tx.Exec(ctx, `UPDATE phone_numbers SET sim_id = NULL WHERE sim_id = ?`, r.ID); err != nil {
		return fmt.Errorf("sims: release number: %w", err)
	}
	_, err := tx.Exec(ctx, `UPDATE sims SET phone_number = NULL WHERE id = ?`, r.ID)
	r.PhoneNumber = ""
	return err
}

// AdoptNumber gives the SIM a number that was ported in: it joins the
// provider's numbers, held by this SIM.
func AdoptNumber(ctx context.Context, tx *store.Tx, r *Record, number string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO phone_numbers (number, provider, sim_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (number) DO UPDATE SET provider = excluded.provider, sim_id = excluded.sim_id`,
		number, r.Provider, r.ID, store.Micros(now)); err != nil {
		return fmt.Errorf("sims: adopt number: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE sims SET phone_number = ? WHERE id = ?`, number, r.ID); err != nil {
		return fmt.Errorf("sims: set number: %w", err)
	}
	r.PhoneNumber = number
	return nil
}

// MoveNumber moves from's number to to (a SIM swap). A number to held
// from an earlier line goes back to the pool first.
func MoveNumber(ctx context.Context, tx *store.Tx, from, to *Record) error {
	if err := releaseNumber(ctx, tx, to); err != nil {
		return err
	}
	number := from.PhoneNumber
	if err := releaseNumber(ctx, tx, from); err != nil {
		return err
	}
	if number == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE phone_numbers SET sim_id = ? WHERE number = ?`, to.ID, number); err != nil {
		return fmt.Errorf("sims: move number: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE sims SET phone_number = ? WHERE id = ?`, number, to.ID); err != nil {
		return fmt.Errorf("sims: move number: %w", err)
	}
	to.PhoneNumber = number
	return nil
}
