// Package email is cellgate's outbox: a domain that must tell a user
// something (a consent request, a receipt) calls Send in its transaction.
// A live project's message is sent over SMTP by an outbound operation
// after commit (docs/outbound.md); a test project's is captured instead,
// never sent, and readable at GET /testing/projects/{p}/emails
// (docs/email.md).
package email

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// Prefix is the id prefix of messages.
const Prefix = "eml"

// OpSend is the outbound operation that sends one message.
const OpSend = "email.send"

// Statuses of a message.
const (
	StatusPending  = "pending"
	StatusSent     = "sent"
	StatusFailed   = "failed"
	StatusCaptured = "captured"
)

// Message is an email as the testing endpoint shows it.
type Message struct {
	Object    string     `json:"object"`
	ID        string     `json:"id"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Text      string     `json:"text"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"createdAt"`
	SentAt    *time.Time `json:"sentAt"`
}

// Send records a plain-text message to one address in tx. It is sent
// after commit (live projects) or captured (test projects); if tx rolls
// back, nothing is sent.
func Send(ctx context.Context, tx *store.Tx, project, to, subject, text string, now time.Time) (string, error) {
	if _, err := mail.ParseAddress(to); err != nil {
		return "", fmt.Errorf("email: address %q: %w", to, err)
	}
	p, err := projects.Get(ctx, tx, project)
	if err != nil {
		return "", err
	}
	id, status := ids.New(Prefix), StatusPending
	if p.IsTest() {
		status = StatusCaptured
	}
	if _, err := tx.Exec(ctx, `INSERT INTO email_messages (id, project_id, to_address, subject, body, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, project, to, subject, text, status, store.Micros(now)); err != nil {
		return "", fmt.Errorf("email: record: %w", err)
	}
	if status == StatusCaptured {
		return id, nil
	}
	_, err = outbound.Enqueue(ctx, tx, outbound.Request{Project: project, Kind: OpSend, Subject: id, Target: "smtp",
		Payload: ref{Message: id}, DueAt: now})
	return id, err
}

type ref struct {
	Message string `json:"message"`
}

const columns = `id, to_address, subject, body, status, created_at, sent_at`

func scan(row store.Scanner) (*Message, error) {
	var (
		m       = Message{Object: "email"}
		created int64
		sent    sql.NullInt64
	)
	if err := row.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.Status, &created, &sent); err != nil {
		return nil, err
	}
	m.CreatedAt, m.SentAt = store.Time(created), store.NullTime(sent)
	return &m, nil
}

func get(ctx context.Context, q store.Querier, id string) (*Message, error) {
	m, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM email_messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("email", id)
	}
	return m, err
}

// List pages through a project's messages, newest first.
func List(ctx context.Context, q store.Querier, project string, p store.Page) (store.PageOf[*Message], error) {
	lq := &store.ListQuery{Select: `SELECT ` + columns + ` FROM email_messages`}
	lq.Where("project_id = ?", project)
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Message, string, error) {
		m, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		return m, m.ID, nil
	})
}
