package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"testing/fstest"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// dialectTokens are the only places where the schema differs between the
// engines. Migrations are written once and use these tokens.
var dialectTokens = map[Dialect]*strings.Replacer{
	// Ids sort byte-wise for keyset pagination; PostgreSQL would otherwise
	// sort them with the database's locale.
	Postgres: strings.NewReplacer("{{id}}", `TEXT COLLATE "C"`, "{{text_c}}", `TEXT COLLATE "C"`),
	SQLite:   strings.NewReplacer("{{id}}", "TEXT", "{{text_c}}", "TEXT"),
}

// migrationsFor renders the embedded migrations for one engine.
func migrationsFor(d Dialect) (fs.FS, error) {
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		out[e.Name()] = &fstest.MapFile{Data: []byte(dialectTokens[d].Replace(string(b)))}
	}
	return out, nil
}

// Migrate applies every pending migration and returns how many ran. On
// PostgreSQL a session advisory lock makes concurrent replicas take turns.
func (db *DB) Migrate(ctx context.Context) (int, error) { return db.MigrateWith(ctx, nil) }

// MigrateWith is Migrate that, when there is work, applies the migrations
// one by one and tells step how many of how many are done (a progress bar
// over the migrations of a large database).
func (db *DB) MigrateWith(ctx context.Context, step func(done, total int)) (int, error) {
	fsys, err := migrationsFor(db.dialect)
	if err != nil {
		return 0, err
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Replicas sharing a schema take turns; databases in other schemas
		// (tests run one per schema) need not wait for each other.
		var schema string
		if err := db.write.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return 0, fmt.Errorf("store: current schema: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte("cellgate migrations " + schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64() >> 1)))
		if err != nil {
			return 0, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write, fsys, opts...)
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	if step == nil {
		results, err := p.Up(ctx)
		if err != nil {
			return len(results), fmt.Errorf("store: migrate: %w", err)
		}
		return len(results), nil
	}
	status, err := p.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	total := 0
	for _, m := range status {
		if m.State == goose.StatePending {
			total++
		}
	}
	for done := 0; ; done++ {
		if done > 0 {
			step(done, total)
		}
		if _, err := p.UpByOne(ctx); errors.Is(err, goose.ErrNoNextVersion) {
			return done, nil
		} else if err != nil {
			return done, fmt.Errorf("store: migrate: %w", err)
		}
	}
}
