package bench

import (
	"context"
	"fmt"
	"path/filepath"
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
	const insert = `INSERT INTO users (id, project_id, email, email_key, email_verified, full_name, birthday, preferred_locale, status, metadata, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	steps := []struct {
		name  string
		setup []string // statements run on the writer first
		op    func(ctx context.Context, db *store.DB, project, email string) error
	}{
		{"1-insert-autocommit", nil, func(ctx context.Context, db *store.DB, project, email string) error {
			_, err := db.Exec(ctx, insert, ids.New(ids.User), project, email, email, false, "Load User", nil, "en-US", "active", "{}", time.Now().UnixMicro())
			return err
		}},
		{"2-tx-insert", nil, func(ctx context.Context, db *store.DB, project, email string) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, insert, ids.New(ids.User), project, email, email, false, "Load User", nil, "en-US", "active", "{}", time.Now().UnixMicro())
				return err
			})
		}},
		{"3-tx-clock-insert", nil, func(ctx context.Context, db *store.DB, project, email string) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := projects.Now(ctx, tx, project); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, insert, ids.New(ids.User), project, email, email, false, "Load User", nil, "en-US", "active", "{}", time.Now().UnixMicro())
				return err
			})
		}},
		{"4-tx-clock-users.Create+event", nil, createWithEvent},
		{"5-as-4-without-events_by_type/subject", []string{"DROP INDEX events_by_type", "DROP INDEX events_by_subject"}, createWithEvent},
		{"6-as-4-wal_autocheckpoint=0", []string{"PRAGMA wal_autocheckpoint=0"}, createWithEvent},
	}
	for _, s := range steps {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			db, project := writeDB(b)
			for _, q := range s.setup {
				if _, err := db.WritePool().ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			for b.Loop() {
				if err := s.op(ctx, db, project, fmt.Sprintf("w-%d@example.com", i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
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
func writeDB(b *testing.B) (*store.DB, string) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "w.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	project := newProjectID()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := projects.Create(ctx, tx, projects.CreateInput{ID: project, Type: projects.TypeLive}, time.Now())
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return db, project
}
