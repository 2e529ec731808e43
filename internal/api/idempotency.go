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
	"cellgate/internal/retention"
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

// errKeyTaken reports that another request holds the key.
var errKeyTaken = errors.New("api: idempotency key taken")

// claim reserves the key at the start of the change's transaction. On
// PostgreSQL a concurrent claim of the same key waits until this
// transaction ends; on SQLite transactions run one at a time. Either way
// the second request finds the key taken once the first commits, and
// finds it free if the first rolled back. Keys age by the wall clock.
func (i *idempotency) claim(ctx context.Context, tx *store.Tx) error {
	res, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (project_id, idem_key, request_hash, status, body, created_at)
		VALUES (?, ?, ?, 0, '', ?) ON CONFLICT (project_id, idem_key) DO NOTHING`,
		i.project, i.key, i.hash, store.Micros(time.Now()))
	if err != nil {
		return fmt.Errorf("api: claim idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(errKeyTaken, err)
	}
	return nil
}

// finish stores the response under a key claimed in the same transaction.
func (i *idempotency) finish(ctx context.Context, tx *store.Tx, status int, body []byte) error {
	_, err := tx.Exec(ctx, `UPDATE idempotency_keys SET status = ?, body = ? WHERE project_id = ? AND idem_key = ?`,
		status, string(body), i.project, i.key)
	return err
}

// save stores the response of a request that did not claim its key (one
// that runs several transactions). Keys age by the wall clock, whatever the
// project's clock says.
func (i *idempotency) save(ctx context.Context, tx *store.Tx, status int, body []byte) error {
	now := time.Now()
	_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (project_id, idem_key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		i.project, i.key, i.hash, status, string(body), store.Micros(now))
	return err
}

// IdempotencyKeyTTL is how long a stored response is kept for replay;
// after that the key may be used again for a new request.
const IdempotencyKeyTTL = 24 * time.Hour

// PurgeIdempotencyKeys deletes the stored responses older than the TTL, by
// the wall clock, and reports how many went.
func PurgeIdempotencyKeys(ctx context.Context, db *store.DB, now time.Time) (int64, error) {
	return retention.Idempotency(ctx, db, now.Add(-IdempotencyKeyTTL))
}

// answerAfter answers res for a request that did its work outside the
// write wrapper's transaction, storing the answer under its
// Idempotency-Key (if any) once the work is done.
func (s *Server) answerAfter(w http.ResponseWriter, rq *request, idem *idempotency, status int, res any) error {
	body, err := jsonBytes(res)
	if err != nil {
		return err
	}
	if idem != nil {
		err := s.db.InTx(rq.ctx, func(tx *store.Tx) error { return idem.save(rq.ctx, tx, status, body) })
		if store.IsUniqueViolation(err) {
			// The same request ran at the same moment and stored its
			// answer first: answer as its retry would.
			_, err = idem.replay(rq.ctx, w, s.db)
			return err
		}
		if err != nil {
			return err
		}
	}
	writeRaw(w, status, body)
	return nil
}

// outsideTx registers a POST that runs outside the write wrapper's one
// transaction: a call to a provider, or a clock advance with a
// transaction per batch of timers. It still honours Idempotency-Key.
func (s *Server) outsideTx(pattern string, h readHandler) {
	s.outsideTxStatus(pattern, http.StatusOK, h)
}

// outsideTxStatus is outsideTx answering status on success.
func (s *Server) outsideTxStatus(pattern string, status int, h readHandler) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			rq, err := s.authenticate(r)
			if err != nil {
				return err
			}
			idem, err := newIdempotency(rq)
			if err != nil {
				return err
			}
			if idem != nil {
				if done, err := idem.replay(rq.ctx, w, s.db); done || err != nil {
					return err
				}
			}
			res, err := h(rq)
			if err != nil {
				return err
			}
			return s.answerAfter(w, rq, idem, status, res)
		}()
		if err != nil {
			writeError(w, r, s.log, err)
		}
	})
}
