package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cellgate/internal/ids"
	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/users"
)

// BenchmarkWriteSteps takes the SQLite write of POST /users apart, one
// step added at a time, on one goroutine. With a single writer connection
// the time per op here bounds POST throughput: 1/op is the ceiling.
//
//	go test -run '^$' -bench WriteSteps ./internal/bench/
func BenchmarkWriteSteps(b *testing.B) {
	steps := []struct {
		name  string
		setup []string // statements run on the writer first
		op    writeOp
	}{
		{"1-insert-autocommit", nil, func(ctx context.Context, db *store.DB, project, email string) error {
			_, err := db.Exec(ctx, insertUser, userArgs(project, email)...)
			return err
		}},
		{"2-tx-insert", nil, rawCreate(false, false, "")},
		{"3-tx-clock-insert", nil, rawCreate(true, false, "")},
		{"3a-as-3+event-row", nil, rawCreate(true, true, "")},
		{"3b-as-3a+enqueue-LIKE-?", nil, rawCreate(true, true, enqueueLike)},
		{"3c-as-3a+enqueue-instr", nil, rawCreate(true, true, enqueueInstr)},
		{"4-tx-clock-users.Create+event", nil, createWithEvent},
		{"5-as-4-without-events_by_type/subject", []string{"DROP INDEX events_by_type", "DROP INDEX events_by_subject"}, createWithEvent},
		{"6-as-4-events-clustered-by-(project_id,id)", clusteredEvents, createWithEvent},
		{"7-as-4-wal_autocheckpoint=10000", []string{"PRAGMA wal_autocheckpoint=10000"}, createWithEvent},
		{"8-as-4-wal_autocheckpoint=0", []string{"PRAGMA wal_autocheckpoint=0"}, createWithEvent},
	}
	for _, s := range steps {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			db, project, path := writeDB(b)
			execAll(b, db, s.setup...)
			// WAL frames (4 KiB pages) per op, counted with checkpoints
			// off: the bytes each commit writes, deterministic where the
			// timings are not.
			const probe = 200
			execAll(b, db, "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA wal_autocheckpoint=0")
			for i := range probe {
				if err := s.op(ctx, db, project, fmt.Sprintf("probe-%d@example.com", i)); err != nil {
					b.Fatal(err)
				}
			}
			st, err := os.Stat(path + "-wal")
			if err != nil {
				b.Fatal(err)
			}
			frames := float64(st.Size()-32) / (4096 + 24) / probe
			// Back to the default, then to what the step sets.
			execAll(b, db, "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA wal_autocheckpoint=1000")
			for _, q := range s.setup {
				if strings.HasPrefix(q, "PRAGMA") {
					execAll(b, db, q)
				}
			}
			i := 0
			for b.Loop() {
				if err := s.op(ctx, db, project, fmt.Sprintf("w-%d@example.com", i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(frames, "walframes/op")
		})
	}
}

// clusteredEvents rebuilds events as a WITHOUT ROWID table keyed by
// (project_id, id): the key autoindex and events_by_project disappear.
var clusteredEvents = []string{
	"DROP TABLE events",
	`CREATE TABLE events (id TEXT NOT NULL, project_id TEXT NOT NULL REFERENCES projects (id), type TEXT NOT NULL,
		subject TEXT NOT NULL, data TEXT NOT NULL, previous_data TEXT, actor TEXT NOT NULL, time BIGINT NOT NULL,
		PRIMARY KEY (project_id, id)) WITHOUT ROWID`,
	"CREATE INDEX events_by_type ON events (project_id, type, id)",
	"CREATE INDEX events_by_subject ON events (project_id, subject, id)",
}

func execAll(b *testing.B, db *store.DB, queries ...string) {
	for _, q := range queries {
		// db.Exec runs on the store's writer connection, where the
		// pragmas must land.
		if _, err := db.Exec(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}

type writeOp func(ctx context.Context, db *store.DB, project, email string) error

const insertUser = `INSERT INTO users (id, project_id, email, email_key, email_verified, full_name, birthday, preferred_locale, status, metadata, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func userArgs(project, email string) []any {
	return []any{ids.New(ids.User), project, email, email, false, "Load User", nil, "en-US", "active", "{}", time.Now().UnixMicro()}
}

// The webhook outbox insert as first written (LIKE with a bound pattern)
// and as events.enqueueDeliveries writes it now (instr): SQLite re-prepares
// a statement whose bound LIKE pattern changes on every execution, since
// the pattern may change the plan.
const (
	enqueueLike = `INSERT INTO webhook_deliveries (endpoint_id, id, project_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
		SELECT id, ?, project_id, ?, 'pending', 0, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM webhook_endpoints
		WHERE project_id = ? AND status = 'enabled' AND (event_match = '*' OR event_match LIKE ?)`
	enqueueInstr = `INSERT INTO webhook_deliveries (endpoint_id, id, project_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
		SELECT id, ?, project_id, ?, 'pending', 0, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM webhook_endpoints
		WHERE project_id = ? AND status = 'enabled' AND (event_match = '*' OR instr(event_match, ?) > 0)`
)

// rawCreate writes a user, and optionally the clock read, an event row and
// the outbox insert, in one transaction with hand-written SQL.
func rawCreate(clock, event bool, enqueue string) writeOp {
	return func(ctx context.Context, db *store.DB, project, email string) error {
		return db.InTx(ctx, func(tx *store.Tx) error {
			if clock {
				if _, err := projects.Now(ctx, tx, project); err != nil {
					return err
				}
			}
			args := userArgs(project, email)
			if _, err := tx.Exec(ctx, insertUser, args...); err != nil || !event {
				return err
			}
			evt, now := ids.New(ids.Event), time.Now().UnixMicro()
			data, _ := json.Marshal(map[string]any{"object": "user", "id": args[0], "email": email})
			if _, err := tx.Exec(ctx, `INSERT INTO events (id, project_id, type, subject, data, previous_data, actor, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				evt, project, "com.gigs.user.created", args[0], string(data), nil, `{"type":"apiKey"}`, now); err != nil || enqueue == "" {
				return err
			}
			pattern := "% com.gigs.user.created %"
			if enqueue == enqueueInstr {
				pattern = " com.gigs.user.created "
			}
			_, err := tx.Exec(ctx, enqueue, "msg_"+evt[4:], evt, now, now, now, project, pattern)
			return err
		})
	}
}

func createWithEvent(ctx context.Context, db *store.DB, project, email string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		now, err := projects.Now(ctx, tx, project)
		if err != nil {
			return err
		}
		_, err = users.Create(ctx, tx, project, users.CreateInput{Email: email, FullName: optional.Of("Load User")}, now)
		return err
	})
}

// writeDB is a fresh migrated SQLite database with one live project.
func writeDB(b *testing.B) (db *store.DB, project, path string) {
	ctx := context.Background()
	path = filepath.Join(b.TempDir(), "w.db")
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	project = newProjectID()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := projects.Create(ctx, tx, projects.CreateInput{ID: project, Type: projects.TypeLive}, time.Now())
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return db, project, path
}
