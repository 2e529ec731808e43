package api_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/snapshots"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// contents is every covered row of a project (snapshots.Contents).
func contents(t *testing.T, db *store.DB, project string) map[string][]string {
	t.Helper()
	c, err := snapshots.Contents(context.Background(), db, project)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// diffContents reports the tables whose rows differ.
func diffContents(a, b map[string][]string) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(a)) {
		if !slices.Equal(a[name], b[name]) {
			out = append(out, name)
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok && len(b[name]) > 0 {
			out = append(out, name)
		}
	}
	return out
}

// otherProject is a second test project on w's server with a user and an
// active subscription, to show that nothing leaks across projects.
func otherProject(t *testing.T, w *world) *world {
	key := w.NewProject("other", projects.TypeTest)
	o := &world{Env: &apitest.Env{T: t, DB: w.DB, Server: w.Server, Project: "other", Key: key}, t: t}
	o.advanceTo(worldStart)
	o.activeSub(o.plan(nil), o.user(nil), "auto")
	return o
}

// TestSnapshotRestoresTheWholeProjectAndItsClock: a restore brings back
// every row of every table holding project data, the clock and the
// settings, and the project then replays the same way; nothing of
// another project moves.
func TestSnapshotRestoresTheWholeProjectAndItsClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ww := seedWriteWorld(&world{Env: apitest.New(t, db), t: t})
		w := ww.world
		createEndpoint(t, w.Env, map[string]any{"url": "https://example.com/hook"})
		other := otherProject(t, w)
		otherBefore := contents(t, db, "other")

		saved := contents(t, db, w.Project)
		clock := w.now()
		var snap struct {
			ID    string
			Clock time.Time
			Rows  int
		}
		w.Post("/testing/projects/"+w.Project+"/snapshots", map[string]any{"name": "seeded"}).Expect(http.StatusCreated).Decode(&snap)
		if !snap.Clock.Equal(clock) || snap.Rows == 0 {
			t.Fatalf("snapshot = %+v, want clock %s and rows", snap, clock)
		}
		// Two months of renewals, a new user, a settings change.
		w.advance(62 * 24 * time.Hour)
		invoicesAfter := len(w.invoices(""))
		w.user(nil)
		w.Patch(w.P(""), map[string]any{"billing": map[string]any{"recoveryFeePercentage": 5}}).Expect(http.StatusOK)
		if d := diffContents(saved, contents(t, db, w.Project)); len(d) == 0 {
			t.Fatalf("two months changed nothing")
		}
		project := w.Get(w.P("")).Expect(http.StatusOK).JSON()

		w.Post("/testing/projects/"+w.Project+"/snapshots/"+snap.ID+"/restore", nil).Expect(http.StatusOK)
		if d := diffContents(saved, contents(t, db, w.Project)); len(d) > 0 {
			t.Errorf("after restore these tables differ from the snapshot: %v", d)
		}
		if got := w.now(); !got.Equal(clock) {
			t.Errorf("clock after restore = %s, want %s", got, clock)
		}
		if restored := w.Get(w.P("")).Expect(http.StatusOK).JSON(); restored["billing"] == nil || mustJSON(t, restored["billing"]) == mustJSON(t, project["billing"]) {
			t.Errorf("settings after restore = %v, still the changed ones", restored["billing"])
		}
		// The same two months again give the same invoices.
		w.advance(62 * 24 * time.Hour)
		if n := len(w.invoices("")); n != invoicesAfter {
			t.Errorf("replayed months gave %d invoices, the first run %d", n, invoicesAfter)
		}
		if d := diffContents(otherBefore, contents(t, db, "other")); len(d) > 0 {
			t.Errorf("the other project changed: %v", d)
		}
		other.Get(other.P("/subscriptions")).Expect(http.StatusOK)
	})
}

// TestResetClearsTheProjectAndKeepsClockKeysAndSnapshots: after a reset
// the project has no data; its clock, key and snapshots remain, and a
// snapshot restores over it.
func TestResetClearsTheProjectAndKeepsClockKeysAndSnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ww := seedWriteWorld(&world{Env: apitest.New(t, db), t: t})
		w := ww.world
		other := otherProject(t, w)
		otherBefore := contents(t, db, "other")
		clock := w.now()

		var c struct {
			Type string
			Now  time.Time
		}
		w.Post("/testing/projects/"+w.Project+"/reset", nil).Expect(http.StatusOK).Decode(&c)
		if c.Type != "test" || !c.Now.Equal(clock) {
			t.Errorf("reset answered %+v, want the unchanged clock %s", c, clock)
		}
		for name, rows := range contents(t, db, w.Project) {
			if len(rows) > 0 {
				t.Errorf("after reset %s still holds %d rows", name, len(rows))
			}
		}
		var page struct{ Items []any }
		w.Get(w.P("/users")).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 0 {
			t.Errorf("users after reset: %v", page.Items)
		}
		var snaps struct{ Items []struct{ ID string } }
		w.Get("/testing/projects/" + w.Project + "/snapshots").Expect(http.StatusOK).Decode(&snaps)
		if len(snaps.Items) != 1 {
			t.Fatalf("snapshots after reset: %v", snaps.Items)
		}
		w.Post("/testing/projects/"+w.Project+"/snapshots/"+snaps.Items[0].ID+"/restore", map[string]any{}).Expect(http.StatusOK)
		w.Get(w.P("/users")).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) == 0 {
			t.Errorf("no users after restoring the seeded snapshot")
		}
		if d := diffContents(otherBefore, contents(t, db, "other")); len(d) > 0 {
			t.Errorf("the other project changed: %v", d)
		}
		other.Get(other.P("/users")).Expect(http.StatusOK)
	})
}

// TestSnapshotsRefusedOnLiveProjects: a live project refuses snapshot,
// restore and reset, and its data stays; another project's snapshot is
// not found through it.
func TestSnapshotsRefusedOnLiveProjects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		snap := e.Post("/testing/projects/acme/snapshots", nil).Expect(http.StatusCreated).ID()
		key := e.NewProject("prod", projects.TypeLive)
		live := &apitest.Env{T: t, DB: db, Server: e.Server, Project: "prod", Key: key}
		live.Post(live.P("/users"), map[string]any{"email": "real@example.com"}).Expect(http.StatusCreated)
		before := contents(t, db, "prod")
		live.Post("/testing/projects/prod/snapshots", nil).ExpectError(http.StatusForbidden, "permissionDenied", "liveProjectTesting")
		live.Post("/testing/projects/prod/reset", nil).ExpectError(http.StatusForbidden, "permissionDenied", "liveProjectTesting")
		live.Post("/testing/projects/prod/snapshots/"+snap+"/restore", nil).ExpectError(http.StatusNotFound, "notFound", "")
		e.Post("/testing/projects/prod/reset", nil).ExpectError(http.StatusNotFound, "notFound", "")
		if d := diffContents(before, contents(t, db, "prod")); len(d) > 0 {
			t.Errorf("the live project changed: %v", d)
		}
	})
}
