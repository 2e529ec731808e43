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
	"cellgate/internal/ids"
	secrettoken "cellgate/internal/secret"
	"cellgate/internal/store"
)

// KeyPrefix starts every API key, so leaked keys are easy to find by
// secret scanners.
const KeyPrefix = "cgk_"

// APIKey is a project key as stored: only its hash is kept.
type APIKey struct {
	ID        string
	ProjectID string
}

// NewKey creates an API key for a project and returns the secret, which is
// never stored and cannot be shown again. If secret is not empty it is used
// as the key (the demo project takes CELLGATE_DEMO_API_KEY this way).
func NewKey(ctx context.Context, tx *store.Tx, project, name, secret string, now time.Time) (id, key string, err error) {
	if secret == "" {
		secret = KeyPrefix + secrettoken.Token(32)
	} else if len(secret) < 16 {
		return "", "", errs.Invalid("apiKeyInvalid", "an API key must be at least 16 characters long.")
	}
	id = ids.New(ids.APIKey)
	_, err = tx.Exec(ctx, `INSERT INTO api_keys (id, project_id, secret_hash, name, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, project, HashKey(secret), name, store.Micros(now))
	if store.IsUniqueViolation(err) {
		return "", "", errs.Conflict("apiKeyAlreadyExists", "this API key is already in use.")
	}
	if err != nil {
		return "", "", fmt.Errorf("projects: create key: %w", err)
	}
	return id, secret, nil
}

// HashKey is how keys are stored and looked up. Keys are long random
// tokens, so a fast unsalted hash is enough: there is nothing to brute-force.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// LookupKey finds the live key with this secret.
func LookupKey(ctx context.Context, q store.Querier, secret string) (*APIKey, error) {
	var k APIKey
	err := q.QueryRow(ctx, `SELECT id, project_id FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL`, HashKey(secret)).
		Scan(&k.ID, &k.ProjectID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.Unauthenticated("The API key is not valid.")
	}
	if err != nil {
		return nil, fmt.Errorf("projects: look up key: %w", err)
	}
	return &k, nil
}
