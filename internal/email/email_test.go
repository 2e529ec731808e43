package email_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"cellgate/internal/email"
	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// smtpSink is a mail server that accepts every message and keeps it.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	msgs []string
}

func newSMTPSink(t *testing.T) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpSink{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// serve speaks just enough SMTP for net/smtp.SendMail.
func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 sink")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (s *smtpSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func project(t *testing.T, db *store.DB, id string, typ projects.Type) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := projects.Create(context.Background(), tx, projects.CreateInput{ID: id, Type: typ}, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLiveMessagesAreSentOnceAfterCommitTestMessagesCaptured: a live
// project's message goes to the SMTP server through an outbound
// operation, once, after its transaction committed; a test project's is
// captured and never sent; a rolled-back one is neither.
func TestLiveMessagesAreSentOnceAfterCommitTestMessagesCaptured(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sink := newSMTPSink(t)
		outbox := &email.Outbox{DB: db, SMTP: email.SMTP{Addr: sink.addr, From: "cellgate@example.com"}}
		runner := outbound.NewRunner(db, outbox.Operations(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		project(t, db, "live", projects.TypeLive)
		project(t, db, "sandbox", projects.TypeTest)
		now := time.Now().UTC().Truncate(time.Second)
		var liveID, testID string
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			if liveID, err = email.Send(ctx, tx, "live", "user@example.com", "Your consent\nBcc: x@example.com", "Approve here:\nhttps://example.com/c/1", now); err != nil {
				return err
			}
			testID, err = email.Send(ctx, tx, "sandbox", "user@example.com", "Captured", "Not sent", now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := email.Send(ctx, tx, "live", "user@example.com", "Rolled back", "x", now); err != nil {
				return err
			}
			return context.Canceled // roll back
		})
		if _, err := email.Send(ctx, nil, "live", "not an address", "x", "x", now); err == nil {
			t.Fatal("a bad address was accepted")
		}
		for range 3 {
			if _, err := runner.RunLive(ctx); err != nil {
				t.Fatal(err)
			}
		}
		msgs := sink.messages()
		if len(msgs) != 1 || !strings.Contains(msgs[0], "Subject: Your consent Bcc: x@example.com\r\n") ||
			!strings.Contains(msgs[0], "Message-ID: <op_") || !strings.Contains(msgs[0], "https://example.com/c/1") {
			t.Fatalf("sent = %q, want the one live message with its subject on one line", msgs)
		}
		page, err := email.List(ctx, db, "live", store.Page{Limit: 10})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != liveID || page.Items[0].Status != email.StatusSent || page.Items[0].SentAt == nil {
			t.Fatalf("live outbox = %+v (%v)", page.Items, err)
		}
		page, err = email.List(ctx, db, "sandbox", store.Page{Limit: 10})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != testID || page.Items[0].Status != email.StatusCaptured {
			t.Fatalf("test outbox = %+v (%v)", page.Items, err)
		}
	})
}
