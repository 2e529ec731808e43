// Package projects owns projects, their API keys and their clocks. A
// project is the unit of isolation: every other resource belongs to one, and
// an API key sees only its own.
package projects

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"cellgate/internal/clock"
	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// Type is live or test; it never changes after creation.
type Type string

const (
	TypeLive Type = "live"
	TypeTest Type = "test"
)

// Project is the API representation (reference §2.1).
type Project struct {
	Object  string   `json:"object"`
	ID      string   `json:"id"`
	Billing *Billing `json:"billing"`
	// Consent says which actions wait for the user's consent; nil: none
	// (consent.go).
	Consent   *Consent  `json:"consent"`
	CreatedAt time.Time `json:"createdAt"`
	Locales   []string  `json:"locales"`
	Name      string    `json:"name"`
	Support   *Support  `json:"support"`
	// TaxCountry is the tax country when no address is known
	// (docs/billing.md §5); nil when not set.
	TaxCountry *string `json:"taxCountry"`
	Type       Type    `json:"type"`
}

// Support holds the contacts an end user can reach.
type Support struct {
	Email *string `json:"email"`
	Phone *string `json:"phone"`
}

// IsTest reports whether the project runs on a stored test clock.
func (p *Project) IsTest() bool { return p.Type == TypeTest }

var projectIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ValidID reports whether id can name a project: a lower-case slug.
func ValidID(id string) bool { return projectIDPattern.MatchString(id) }

// CreateInput is what `cellgate project create` passes.
type CreateInput struct {
	ID      string
	Name    string
	Type    Type
	Billing bool
}

// Create makes a project. A test project's clock starts at the wall clock
// and then moves only when advanced.
func Create(ctx context.Context, tx *store.Tx, in CreateInput, now time.Time) (*Project, error) {
	if !ValidID(in.ID) {
		return nil, errs.Invalid("projectIdInvalid", "project id %q must be 2-63 lower-case letters, digits or hyphens.", in.ID)
	}
	if in.Type != TypeLive && in.Type != TypeTest {
		return nil, errs.Invalid("projectTypeInvalid", "project type must be live or test, not %q.", in.Type)
	}
	if in.Name == "" {
		in.Name = in.ID
	}
	now = now.UTC().Truncate(time.Second)
	p := &Project{Object: "project", ID: in.ID, CreatedAt: now, Locales: []string{"en-US"}, Name: in.Name, Type: in.Type}
	if in.Billing {
		b := DefaultBilling()
		p.Billing = &b
	}
	var clock sql.NullInt64
	if in.Type == TypeTest {
		clock = sql.NullInt64{Int64: store.Micros(now), Valid: true}
	}
	_, err := tx.Exec(ctx, `INSERT INTO projects (id, name, type, locales, support, billing, clock_now, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, string(p.Type), store.JSON(p.Locales), store.NullJSON(p.Support), store.NullJSON(p.Billing), clock, store.Micros(now), store.Micros(now))
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("projectAlreadyExists", "A project with id %q already exists.", in.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("projects: create: %w", err)
	}
	return p, nil
}

const projectColumns = `id, name, type, locales, support, billing, tax_country, created_at, consent`

func scanProject(row interface{ Scan(...any) error }) (*Project, error) {
	var (
		p                Project
		locales          string
		support, billing sql.NullString
		taxCountry       sql.NullString
		consent          sql.NullString
		createdAt        int64
		typ              string
	)
	if err := row.Scan(&p.ID, &p.Name, &typ, &locales, &support, &billing, &taxCountry, &createdAt, &consent); err != nil {
		return nil, err
	}
	if taxCountry.Valid {
		p.TaxCountry = &taxCountry.String
	}
	p.Object, p.Type, p.CreatedAt = "project", Type(typ), store.Time(createdAt)
	if err := json.Unmarshal([]byte(locales), &p.Locales); err != nil {
		return nil, err
	}
	if support.Valid {
		p.Support = &Support{}
		if err := json.Unmarshal([]byte(support.String), p.Support); err != nil {
			return nil, err
		}
	}
	if err := store.ScanNullJSON(consent, &p.Consent); err != nil {
		return nil, err
	}
	if billing.Valid {
		p.Billing = &Billing{ProrationBehavior: ProrationNone} // stored before the setting existed
		if err := json.Unmarshal([]byte(billing.String), p.Billing); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// Get reads a project; a missing one is a notFound error.
func Get(ctx context.Context, q store.Querier, id string) (*Project, error) {
	return get(ctx, q, id, "")
}

// get reads a project with an optional row lock suffix.
func get(ctx context.Context, q store.Querier, id, lock string) (*Project, error) {
	p, err := scanProject(q.QueryRow(ctx, `SELECT `+projectColumns+` FROM projects WHERE id = ?`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("project", id)
	}
	if err != nil {
		return nil, fmt.Errorf("projects: get %s: %w", id, err)
	}
	return p, nil
}

// Now is the project's current time: the wall clock for a live project,
// the stored clock for a test project. Resource timestamps have one-second
// resolution, as the API shows them.
//
// Inside a write transaction on PostgreSQL, a test project's clock is read
// under the clock lock, shared and held to the end of the change, so a
// concurrent advance (which holds it exclusively, LockClock) is seen either
// wholly before or wholly after. A live project takes no lock: its clock is
// the wall clock, and a lock taken by every write would make the project a
// hot spot (BENCHMARKS.md "Project row lock"). Writes that need a project
// setting to hold lock the row themselves (LockShared).
func Now(ctx context.Context, q store.Querier, id string) (time.Time, error) {
	stored, err := readClock(ctx, q, id)
	if err == nil && stored.Valid && q.Dialect() == store.Postgres {
		if tx, ok := q.(*store.Tx); ok {
			if _, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0))`, clockLockKey(id)); err == nil {
				stored, err = readClock(ctx, q, id)
			}
		}
	}
	if err != nil {
		return time.Time{}, err
	}
	if !stored.Valid {
		return clock.Wall(), nil
	}
	return store.Time(stored.Int64).Truncate(time.Second), nil
}

// LockClock takes a test project's clock lock exclusively for the rest of
// the transaction (PostgreSQL; SQLite's single writer needs none): the
// clock advance holds it while a batch of timers runs, and writes of the
// project, which take it shared (Now), wait.
//
// It is an advisory lock rather than a row lock because PostgreSQL queues
// advisory locks fairly: a share request waits behind an exclusive one
// already waiting. Share locks on a row are granted as long as the row is
// share-locked, so a steady stream of writes kept an advance waiting for
// seconds (BENCHMARKS.md "Pay, cancel and resume under load").
func LockClock(ctx context.Context, tx *store.Tx, id string) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, clockLockKey(id)); err != nil {
		return fmt.Errorf("projects: lock the clock of %s: %w", id, err)
	}
	return nil
}

// clockLockKey names a project's clock lock; a hash collision with another
// project only makes the two take turns.
func clockLockKey(id string) string { return "cellgate.clock/" + id }

func readClock(ctx context.Context, q store.Querier, id string) (sql.NullInt64, error) {
	var clock sql.NullInt64
	err := q.QueryRow(ctx, `SELECT clock_now FROM projects WHERE id = ?`, id).Scan(&clock)
	if errors.Is(err, sql.ErrNoRows) {
		return clock, errs.NotFound("project", id)
	}
	if err != nil {
		return clock, fmt.Errorf("projects: clock of %s: %w", id, err)
	}
	return clock, nil
}

// LockShared reads a project inside a write transaction and holds off
// changes to it (PATCH locks the row) until the transaction ends: for a
// write whose validity depends on a project setting, such as a subscription
// created under the billing settings that PATCH checks against running
// subscriptions (docs/billing.md §1, billingInUse).
func LockShared(ctx context.Context, tx *store.Tx, id string) (*Project, error) {
	return get(ctx, tx, id, tx.Dialect().ForShare())
}
