// Package documents gives the documents a user opens from a link, an
// invoice's PDF and a payment's receipt, unguessable URLs: each is named by
// a token of 32 random bytes, stored when the document comes to exist, and
// the token is the URL's only credential (docs/payments.md). Rendering is
// the business of the domain that owns the document.
package documents

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// Kinds of documents.
const (
	KindInvoice = "invoice"
	KindReceipt = "receipt"
)

// PathPrefix is where documents are served: PathPrefix + token + ".pdf".
const PathPrefix = "/documents/"

var baseURL atomic.Value

// SetBaseURL sets the server's public base URL that document URLs start
// with (serve's --public-url).
func SetBaseURL(u string) { baseURL.Store(strings.TrimSuffix(u, "/")) }

// URL is the address of the document with token; nil for no token.
func URL(token sql.NullString) *string {
	if !token.Valid {
		return nil
	}
	base, _ := baseURL.Load().(string)
	u := base + PathPrefix + token.String + ".pdf"
	return &u
}

// TokenColumn is a select expression for the token of the document of kind
// whose subject is the column subject of the row being read.
func TokenColumn(kind, subject string) string {
	return `(SELECT token FROM documents WHERE kind = '` + kind + `' AND subject_id = ` + subject + `)`
}

// Issue makes the document of kind for subject, once: a second call
// keeps the first token. It returns the token.
func Issue(ctx context.Context, tx *store.Tx, project, kind, subject string, now time.Time) (string, error) {
	var token string
	err := tx.QueryRow(ctx, `SELECT token FROM documents WHERE kind = ? AND subject_id = ?`, kind, subject).Scan(&token)
	if err == nil {
		return token, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("documents: %s %s: %w", kind, subject, err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	if _, err := tx.Exec(ctx, `INSERT INTO documents (token, project_id, kind, subject_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		token, project, kind, subject, store.Micros(now)); err != nil {
		return "", fmt.Errorf("documents: issue %s %s: %w", kind, subject, err)
	}
	return token, nil
}

// Document is what a token names.
type Document struct {
	Project, Kind, Subject string
}

// Find reads the document a token names. Anything else, a token of
// another shape included, is the same 404: a guess learns nothing.
func Find(ctx context.Context, q store.Querier, token string) (*Document, error) {
	notFound := &errs.Error{Kind: errs.KindNotFound, Code: "documentNotFound", Message: "There is no document here."}
	if b, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(b) != 32 {
		return nil, notFound
	}
	var d Document
	err := q.QueryRow(ctx, `SELECT project_id, kind, subject_id FROM documents WHERE token = ?`, token).Scan(&d.Project, &d.Kind, &d.Subject)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("documents: find: %w", err)
	}
	return &d, nil
}
