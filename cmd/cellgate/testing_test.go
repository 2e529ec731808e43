package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"cellgate/internal/projects"
	"cellgate/internal/snapshots"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/timeline"
)

// TestTestingCommandSnapshotsRestoresAndResets: the command line saves a
// test project with its clock, restores it after the clock moved and the
// data changed, clears it, and refuses a live project.
func TestTestingCommandSnapshotsRestoresAndResets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2030, time.May, 1, 0, 0, 0, 0, time.UTC)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for id, typ := range map[string]projects.Type{"acme": projects.TypeTest, "prod": projects.TypeLive} {
				if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: id, Type: typ}, start); err != nil {
					return err
				}
			}
			return timeline.Schedule(ctx, tx, "acme", "subscription.retiredKind", "sub_old", start.Add(90*24*time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		c := jsonCLI{t: t, db: db, cmd: testingCmd}
		timers := func() int {
			rows, err := snapshots.Contents(ctx, db, "acme")
			if err != nil {
				t.Fatal(err)
			}
			return len(rows["timeline"])
		}

		snap := c.must("snapshot", "acme", "--name", "start")
		if snap["object"] != "testSnapshot" || snap["clock"] != start.Format(time.RFC3339) || snap["rows"] != float64(1) {
			t.Fatalf("snapshot: %v", snap)
		}
		c.must("clock", "advance", "acme", "--by", "1mo")
		c.must("reset", "acme")
		if n := timers(); n != 0 {
			t.Fatalf("%d timers after reset", n)
		}
		if l := c.must("snapshots", "acme"); len(items(l)) != 1 {
			t.Fatalf("snapshots: %v", l)
		}
		c.must("restore", "acme", snap["id"].(string))
		if n := timers(); n != 1 {
			t.Errorf("%d timers after restore, want 1", n)
		}
		if now, err := projects.Now(ctx, db, "acme"); err != nil || !now.Equal(start) {
			t.Errorf("clock after restore = %s (%v), want %s", now, err, start)
		}
		for _, args := range [][]string{{"snapshot", "prod"}, {"reset", "prod"}} {
			if _, err := c.run(args...); err == nil || !strings.Contains(err.Error(), "live project") {
				t.Errorf("%v on a live project: %v", args, err)
			}
		}
		if _, err := c.run("restore", "acme", "snp_0000000000000000000000"); err == nil {
			t.Errorf("restore of a missing snapshot succeeded")
		}
	})
}
