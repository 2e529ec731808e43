package api

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// idempotencyHeader names the request header that makes a POST safe to
// retry: the first response is stored and replayed for the same key.
const idempotencyHeader = "Idempotency-Key"

// maxIdempotencyKeyLength bounds the key.
const maxIdempotencyKeyLength = 255

type idempotency struct {
	project string
	key     string
	hash    string
}

// newIdempotency reads the header; nil means the request has none.
func newIdempotency(rq *request) (*idempotency, error) {
	key := rq.Header.Get(idempotencyHeader)
	if key == "" {
		if _, sent := rq.Header[idempotencyHeader]; sent {
			return nil, errs.Invalid("idempotencyKeyInvalid", "The Idempotency-Key header must not be empty.")
		}
		return nil, nil
	}
	if len(key) > maxIdempotencyKeyLength {
		return nil, errs.Invalid("idempotencyKeyInvalid", "The Idempotency-Key header must be at most %d characters.", maxIdempotencyKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return nil, errs.Invalid("idempotencyKeyInvalid", "The Idempotency-Key header must be printable ASCII without spaces.")
		}
	}
	// The fingerprint covers what the request asks for: the same key sent
	// to another endpoint, or with another body, is a client bug.
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", rq.Method, rq.URL.Path)
	h.Write(rq.body)
	return &idempotency{project: rq.project, key: key, hash: hex.EncodeToString(h.Sum(nil))}, nil
}

// replay writes the stored response if this key was used before. done
// reports whether a response (or a conflict) was produced.
func (i *idempotency) replay(ctx context.Context, w http.ResponseWriter, db *store.DB) (done bool, err error) {
	var (
		hash   string
		status int
		body   string
	)
	err = db.QueryRow(ctx, `SELECT request_hash, status, body FROM idempotency_keys WHERE project_id = ? AND idem_key = ?`,
		i.project, i.key).Scan(&hash, &status, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("api: read idempotency key: %w", err)
	}
	if hash != i.hash {
		return true, errs.Conflict("idempotencyKeyReused",
			"The Idempotency-Key %q was already used for a different request; use a new key for a new request.", i.key)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeRaw(w, status, []byte(body))
	return true, nil
}

// save stores the response in the transaction of the change itself. Keys
// age by the wall clock, whatever the project's clock says.
func (i *idempotency) save(ctx context.Context, tx *store.Tx, status int, body []byte) error {
	now := time.Now()
	_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (project_id, idem_key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		i.project, i.key, i.hash, status, string(body), store.Micros(now))
	return err
}
