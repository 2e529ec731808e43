package timeline_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/timeline"
)

var t0 = time.Date(2030, time.March, 1, 0, 0, 0, 0, time.UTC)

func newProject(t *testing.T, db *store.DB, id string, typ projects.Type) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := projects.Create(context.Background(), tx, projects.CreateInput{ID: id, Type: typ}, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func schedule(t *testing.T, db *store.DB, project, kind, subject string, due time.Time) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return timeline.Schedule(context.Background(), tx, project, kind, subject, due)
	}); err != nil {
		t.Fatal(err)
	}
}

type firing struct {
	subject string
	due     time.Time
	now     time.Time
}

// TestAdvanceRunsWorkInDueOrderAtItsOwnTime: an advance runs every timer
// due up to the target, in due order, each with its own due time as now,
// including timers that the work schedules inside the window.
func TestAdvanceRunsWorkInDueOrderAtItsOwnTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newProject(t, db, "acme", projects.TypeTest)
		var fired []firing
		r := &timeline.Runner{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		r.Handlers = timeline.Handlers{
			"test.fire": func(ctx context.Context, tx *store.Tx, tm timeline.Timer, now time.Time) error {
				fired = append(fired, firing{tm.Subject, tm.DueAt, now})
				return nil
			},
			// chain schedules a follow-up 30 minutes later, which must run
			// before the later timers already waiting.
			"test.chain": func(ctx context.Context, tx *store.Tx, tm timeline.Timer, now time.Time) error {
				fired = append(fired, firing{tm.Subject, tm.DueAt, now})
				return timeline.Schedule(ctx, tx, tm.Project, "test.fire", tm.Subject+"-next", now.Add(30*time.Minute))
			},
		}
		schedule(t, db, "acme", "test.fire", "c", t0.Add(3*time.Hour))
		schedule(t, db, "acme", "test.fire", "a", t0.Add(time.Hour))
		schedule(t, db, "acme", "test.chain", "b", t0.Add(2*time.Hour))
		schedule(t, db, "acme", "test.fire", "d", t0.Add(5*time.Hour)) // beyond the target
		ran, err := r.Advance(context.Background(), "acme", t0.Add(4*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := []firing{{"a", t0.Add(time.Hour), t0.Add(time.Hour)}, {"b", t0.Add(2 * time.Hour), t0.Add(2 * time.Hour)},
			{"b-next", t0.Add(150 * time.Minute), t0.Add(150 * time.Minute)}, {"c", t0.Add(3 * time.Hour), t0.Add(3 * time.Hour)}}
		if ran != len(want) || fmt.Sprint(fired) != fmt.Sprint(want) {
			t.Fatalf("ran %d: %v\nwant %v", ran, fired, want)
		}
		now, _ := projects.Now(context.Background(), db, "acme")
		if !now.Equal(t0.Add(4 * time.Hour)) {
			t.Fatalf("clock = %s, want the target", now)
		}
		// Time never moves backwards.
		_, err = r.Advance(context.Background(), "acme", t0.Add(time.Hour))
		if !errs.IsKind(err, errs.KindInvalid) {
			t.Fatalf("advance backwards: %v, want invalid", err)
		}
		// A live project has no clock to move.
		newProject(t, db, "live", projects.TypeLive)
		if _, err := r.Advance(context.Background(), "live", t0); !errs.IsKind(err, errs.KindPermissionDenied) {
			t.Fatalf("advance a live project: %v, want permissionDenied", err)
		}
	})
}

// TestReplicasRunEachTimerExactlyOnce: two runners with their own
// connections (two replicas) drain one shared timeline of a live project;
// every timer runs once and only once.
func TestReplicasRunEachTimerExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines(t) {
		t.Run(engine.Name, func(t *testing.T) {
			t.Parallel()
			db := engine.Open(t)
			// The second replica opens the same database separately.
			replica, err := store.Open(context.Background(), dbURL(t, db))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { replica.Close() })
			newProject(t, db, "live", projects.TypeLive)
			const timers = 600
			for i := 0; i < timers; i++ {
				schedule(t, db, "live", "test.count", fmt.Sprintf("s%04d", i), t0.Add(time.Duration(i)*time.Second))
			}
			var mu sync.Mutex
			runs := map[string]int{}
			handlers := timeline.Handlers{"test.count": func(ctx context.Context, tx *store.Tx, tm timeline.Timer, now time.Time) error {
				// The count is kept in the database too, so a rolled-back run
				// cannot be mistaken for a run.
				if _, err := tx.Exec(ctx, `INSERT INTO events (id, project_id, type, subject, data, actor, time) VALUES (?, ?, 'com.gigs.test.count', ?, '{}', '{}', 0)`,
					"evt_"+tm.Subject, tm.Project, tm.Subject); err != nil {
					return err
				}
				tx.AfterCommit(func() { mu.Lock(); runs[tm.Subject]++; mu.Unlock() })
				return nil
			}}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			var wg sync.WaitGroup
			for _, d := range []*store.DB{db, replica, db, replica} {
				wg.Add(1)
				go func(d *store.DB) {
					defer wg.Done()
					r := &timeline.Runner{DB: d, Handlers: handlers, Log: log}
					for i := 0; i < 1000; i++ {
						n, err := r.RunDue(context.Background(), t0.Add(time.Hour))
						if err != nil {
							t.Error(err)
							return
						}
						if n == 0 {
							return
						}
					}
				}(d)
			}
			wg.Wait()
			var left, recorded int
			_ = db.QueryRow(context.Background(), `SELECT COUNT(*) FROM timeline`).Scan(&left)
			_ = db.QueryRow(context.Background(), `SELECT COUNT(*) FROM events WHERE type = 'com.gigs.test.count'`).Scan(&recorded)
			if left != 0 || recorded != timers || len(runs) != timers {
				t.Fatalf("left %d timers, recorded %d runs of %d distinct timers, want 0, %d, %d", left, recorded, len(runs), timers, timers)
			}
			for s, n := range runs {
				if n != 1 {
					t.Fatalf("timer %s ran %d times", s, n)
				}
			}
		})
	}
}

func dbURL(t *testing.T, db *store.DB) string {
	t.Helper()
	if db.URL() == "" {
		t.Fatal("database URL unknown")
	}
	return db.URL()
}
