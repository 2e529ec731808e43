package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestProjectRowLockedOnlyWhereASettingMustHold: while a transaction holds
// a project row as PATCH /projects does, a write of a live project that
// depends on no project setting (POST /users) goes through; creating a
// subscription, which the billingInUse check must see, waits for it. While
// a clock advance holds a test project's clock, every write of that
// project waits, since the clock must not move under it. These locks exist
// on PostgreSQL only (SQLite has one writer).
func TestProjectRowLockedOnlyWhereASettingMustHold(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines(t) {
		if engine.Name != "postgres" {
			continue
		}
		t.Run(engine.Name, func(t *testing.T) {
			db := engine.Open(t)
			env := apitest.New(t, db)
			live := &world{Env: &apitest.Env{T: t, DB: db, Server: env.Server, Project: "live1",
				Key: env.NewProject("live1", projects.TypeLive)}, t: t}
			test := &world{Env: env, t: t}
			plan, user := live.plan(nil), live.user(nil)

			release := holdProject(t, db, "live1", lockRow)
			users := background(func() int { return live.Post(live.P("/users"), map[string]any{"email": "held@example.com"}).Status })
			if status := answerWithin(t, users, 5*time.Second); status != http.StatusCreated {
				t.Fatalf("POST /users of a live project while its row is held: %d, want 201", status)
			}
			subscribe := background(func() int {
				return live.Post(live.P("/subscriptions"), map[string]any{"plan": plan, "user": user, "sim": "auto"}).Status
			})
			select {
			case status := <-subscribe:
				t.Fatalf("POST /subscriptions answered %d while the project row was held; it must wait", status)
			case <-time.After(300 * time.Millisecond):
			}
			release()
			if status := answerWithin(t, subscribe, 5*time.Second); status != http.StatusCreated {
				t.Fatalf("POST /subscriptions after the row was released: %d, want 201", status)
			}

			release = holdProject(t, db, test.Project, projects.LockClock)
			testUsers := background(func() int { return test.Post(test.P("/users"), map[string]any{"email": "held2@example.com"}).Status })
			select {
			case status := <-testUsers:
				t.Fatalf("POST /users of a test project answered %d while its row (the clock) was held; it must wait", status)
			case <-time.After(300 * time.Millisecond):
			}
			release()
			if status := answerWithin(t, testUsers, 5*time.Second); status != http.StatusCreated {
				t.Fatalf("POST /users of a test project after release: %d, want 201", status)
			}
		})
	}
}

// lockRow locks a project row as PATCH /projects does.
func lockRow(ctx context.Context, tx *store.Tx, project string) error {
	var id string
	return tx.QueryRow(ctx, `SELECT id FROM projects WHERE id = ?`+tx.Dialect().ForNoKeyUpdate(), project).Scan(&id)
}

// holdProject takes a lock on a project in a transaction that stays open
// until the returned function is called.
func holdProject(t *testing.T, db *store.DB, project string, lock func(context.Context, *store.Tx, string) error) (release func()) {
	t.Helper()
	held, done, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		finished <- db.InTx(context.Background(), func(tx *store.Tx) error {
			if err := lock(context.Background(), tx, project); err != nil {
				return err
			}
			close(held)
			<-done
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-finished:
		t.Fatalf("hold project %s: %v", project, err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(done)
			if err := <-finished; err != nil {
				t.Errorf("hold project %s: %v", project, err)
			}
		})
	}
	t.Cleanup(release) // a failed check must not leave requests waiting
	return release
}

func background(f func() int) <-chan int {
	c := make(chan int, 1)
	go func() { c <- f() }()
	return c
}

func answerWithin(t *testing.T, c <-chan int, d time.Duration) int {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(d):
		t.Fatalf("no answer within %s", d)
		return 0
	}
}
