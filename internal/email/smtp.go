package email

import (
	"context"
	"encoding/json"
	"fmt"
	"net/smtp"
	"os"
	"strings"
	"time"

	"cellgate/internal/outbound"
	"cellgate/internal/store"
)

// SMTP is where live projects' messages go.
type SMTP struct {
	// Addr is host:port of the mail server; empty means no server, and
	// sends fail (visibly, as failed operations).
	Addr string
	// From is the sender address.
	From               string
	Username, Password string
}

// SMTPFromEnv reads CELLGATE_SMTP_ADDR, CELLGATE_SMTP_FROM,
// CELLGATE_SMTP_USERNAME and CELLGATE_SMTP_PASSWORD.
func SMTPFromEnv() SMTP {
	return SMTP{Addr: os.Getenv("CELLGATE_SMTP_ADDR"), From: os.Getenv("CELLGATE_SMTP_FROM"),
		Username: os.Getenv("CELLGATE_SMTP_USERNAME"), Password: os.Getenv("CELLGATE_SMTP_PASSWORD")}
}

// Outbox sends messages over its SMTP settings.
type Outbox struct {
	DB   *store.DB
	SMTP SMTP
}

// Operations is the outbox's outbound operation kind.
func (o *Outbox) Operations() outbound.Kinds {
	return outbound.Kinds{OpSend: {Perform: o.perform, Apply: o.applySent, Fail: o.fail}}
}

// perform sends the message. Its Message-ID is derived from the
// operation's id, so a repeat after a crash is recognisably the same
// message to the receiving side.
func (o *Outbox) perform(ctx context.Context, op outbound.Operation, _ time.Time) (any, error) {
	var r ref
	if err := op.Decode(&r); err != nil {
		return nil, outbound.PermanentError(err)
	}
	if o.SMTP.Addr == "" || o.SMTP.From == "" {
		return nil, outbound.PermanentError(fmt.Errorf("email: no SMTP server configured (CELLGATE_SMTP_ADDR, CELLGATE_SMTP_FROM)"))
	}
	m, err := get(ctx, o.DB, r.Message)
	if err != nil {
		return nil, err
	}
	host, _, _ := strings.Cut(o.SMTP.Addr, ":")
	var auth smtp.Auth
	if o.SMTP.Username != "" {
		auth = smtp.PlainAuth("", o.SMTP.Username, o.SMTP.Password, host)
	}
	msg := "From: " + o.SMTP.From + "\r\nTo: " + m.To + "\r\nSubject: " + headerSafe(m.Subject) +
		"\r\nMessage-ID: <" + op.IdempotencyKey() + "@cellgate>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(m.Text, "\n", "\r\n")
	return struct{}{}, smtp.SendMail(o.SMTP.Addr, auth, o.SMTP.From, []string{m.To}, []byte(msg))
}

// headerSafe keeps a subject on one header line.
func headerSafe(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

func (o *Outbox) applySent(ctx context.Context, tx *store.Tx, op outbound.Operation, _ json.RawMessage, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE email_messages SET status = 'sent', sent_at = ? WHERE id = ?`, store.Micros(now), op.Subject)
	return err
}

func (o *Outbox) fail(ctx context.Context, tx *store.Tx, op outbound.Operation, _ time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE email_messages SET status = 'failed' WHERE id = ?`, op.Subject)
	return err
}
