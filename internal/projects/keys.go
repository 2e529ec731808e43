package projects

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/events"
	"cellgate/internal/ids"
	secrettoken "cellgate/internal/secret"
	"cellgate/internal/store"
)

// KeyPrefix starts every API key, so leaked keys are easy to find by
// secret scanners.
const KeyPrefix = "cgk_"

// shownPrefix is how many characters of a key its listing shows: enough to
// tell keys apart, far too few to guess the rest (the key has 32 random
// base62 characters after cgk_).
const shownPrefix = len(KeyPrefix) + 6

// Event types of API keys: the reference's creation event, and cellgate's
// own revocation event (the reference names none).
const (
	EventKeyCreated = "apiKey.created"
	EventKeyRevoked = events.CellgatePrefix + "apiKey.revoked"
)

func init() { events.Register(EventKeyCreated, EventKeyRevoked) }

// APIKey is a project key as stored: only its hash is kept.
type APIKey struct {
	ID        string
	ProjectID string
}

// Key is an API key as listed: never its secret, only its first characters.
type Key struct {
	Object     string     `json:"object"`
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

// NewKey creates an API key for a project and returns the secret, which is
// never stored and cannot be shown again. If secret is not empty it is used
// as the key (the demo project takes CELLGATE_DEMO_API_KEY this way).
func NewKey(ctx context.Context, tx *store.Tx, project, name, secret string, now time.Time) (id, key string, err error) {
	shown := 4 // of a key given by the operator, which may be short
	if secret == "" {
		secret, shown = KeyPrefix+secrettoken.Token(32), shownPrefix
	} else if len(secret) < 16 {
		return "", "", errs.Invalid("apiKeyInvalid", "an API key must be at least 16 characters long.")
	}
	id = ids.New(ids.APIKey)
	_, err = tx.Exec(ctx, `INSERT INTO api_keys (id, project_id, secret_hash, name, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, project, HashKey(secret), name, secret[:shown], store.Micros(now))
	if store.IsUniqueViolation(err) {
		return "", "", errs.Conflict("apiKeyAlreadyExists", "this API key is already in use.")
	}
	if err != nil {
		return "", "", fmt.Errorf("projects: create key: %w", err)
	}
	return id, secret, nil
}

// MaxKeyName bounds a key's name.
const MaxKeyName = 100

// CheckKeyName is the rule for a key's name: 1 to MaxKeyName characters.
func CheckKeyName(name string) error {
	if n := len([]rune(name)); n == 0 || n > MaxKeyName {
		return errs.Invalid("fieldInvalid", "name must be 1 to %d characters long.", MaxKeyName)
	}
	return nil
}

// CreateKey makes a new key named name and returns it with its secret,
// shown this once, and records apiKey.created. (A project's first key,
// made with the project by NewKey, is part of the project's creation.)
func CreateKey(ctx context.Context, tx *store.Tx, project, name string, now time.Time) (*Key, string, error) {
	if err := CheckKeyName(name); err != nil {
		return nil, "", err
	}
	id, secret, err := NewKey(ctx, tx, project, name, "", now)
	if err != nil {
		return nil, "", err
	}
	k, err := GetKey(ctx, tx, project, id)
	if err != nil {
		return nil, "", err
	}
	return k, secret, events.Record(ctx, tx, project, EventKeyCreated, id, k, now)
}

// HashKey is how keys are stored and looked up. Keys are long random
// tokens, so a fast unsalted hash is enough: there is nothing to brute-force.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// lastUseStep is how stale a key's lastUsedAt may get: a request writes it
// only when it is older than this, so a busy key costs one write a minute,
// not one per request.
const lastUseStep = time.Minute

// LookupKey finds the live key with this secret. It reads the database on
// every call, never a cache, so a revoked key is refused by every replica
// from the moment the revocation commits.
func LookupKey(ctx context.Context, q store.Querier, secret string) (*APIKey, error) {
	var (
		k    APIKey
		used sql.NullInt64
	)
	err := q.QueryRow(ctx, `SELECT id, project_id, last_used_at FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL`, HashKey(secret)).
		Scan(&k.ID, &k.ProjectID, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.Unauthenticated("The API key is not valid.")
	}
	if err != nil {
		return nil, fmt.Errorf("projects: look up key: %w", err)
	}
	if now := time.Now().Truncate(time.Second); !used.Valid || now.Sub(store.Time(used.Int64)) >= lastUseStep {
		// Last use is wall-clock bookkeeping: a failure to write it must
		// not refuse a valid key, and a concurrent writer may win.
		_, _ = q.Exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
			store.Micros(now), k.ID, store.Micros(now.Add(-lastUseStep)))
	}
	return &k, nil
}

const keyColumns = `id, name, prefix, created_at, last_used_at, revoked_at`

func scanKey(row store.Scanner) (*Key, error) {
	var (
		k             Key
		prefix        sql.NullString
		created       int64
		used, revoked sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.Name, &prefix, &created, &used, &revoked); err != nil {
		return nil, err
	}
	k.Object, k.CreatedAt, k.LastUsedAt, k.RevokedAt = "apiKey", store.Time(created), store.NullTime(used), store.NullTime(revoked)
	// Keys made before prefixes were kept show the common prefix only.
	k.Prefix = KeyPrefix
	if prefix.Valid {
		k.Prefix = prefix.String
	}
	return &k, nil
}

// GetKey reads one key of the project.
func GetKey(ctx context.Context, q store.Querier, project, id string) (*Key, error) {
	k, err := scanKey(q.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE project_id = ? AND id = ?`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("apiKey", id)
	}
	return k, err
}

// ListKeys pages through the project's keys, revoked ones included, newest
// first.
func ListKeys(ctx context.Context, q store.Querier, project string, p store.Page) (store.PageOf[*Key], error) {
	lq := &store.ListQuery{Select: `SELECT ` + keyColumns + ` FROM api_keys`}
	lq.Where("project_id = ?", project)
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Key, string, error) {
		k, err := scanKey(rows)
		if err != nil {
			return nil, "", err
		}
		return k, k.ID, nil
	})
}

// RevokeKey revokes a key: the next request that uses it is refused, on
// every replica, since keys are looked up in the database each time.
func RevokeKey(ctx context.Context, tx *store.Tx, project, id string, now time.Time) (*Key, error) {
	res, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE project_id = ? AND id = ? AND revoked_at IS NULL`,
		store.Micros(now), project, id)
	if err != nil {
		return nil, fmt.Errorf("projects: revoke key: %w", err)
	}
	k, err := GetKey(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.Conflict("apiKeyRevoked", "The API key %s is already revoked.", id)
	}
	return k, events.Record(ctx, tx, project, EventKeyRevoked, id, k, now)
}
