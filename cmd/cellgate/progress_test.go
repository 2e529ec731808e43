package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/timeline"
)

// TestProgressShowsOnlyOnATerminal: a long clock advance and a snapshot
// restore draw bars on a terminal (the advance with the clock's
// position), and nothing at all elsewhere. Not parallel: it swaps where
// bars draw.
func TestProgressShowsOnlyOnATerminal(t *testing.T) {
	oldOut, oldTerm := progressOut, onTerminal
	t.Cleanup(func() { progressOut, onTerminal = oldOut, oldTerm })
	db := storetest.Engines(t)[0].Open(t)
	ctx := context.Background()
	start := time.Date(2030, time.May, 1, 0, 0, 0, 0, time.UTC)
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "acme", Type: projects.TypeTest}, start); err != nil {
			return err
		}
		for d := range 60 {
			if err := timeline.Schedule(ctx, tx, "acme", "subscription.retiredKind", "sub_old", start.Add(time.Duration(d)*24*time.Hour)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c := jsonCLI{t: t, db: db, cmd: testingCmd}
	snap := c.must("snapshot", "acme")["id"].(string)
	for _, terminal := range []bool{false, true} {
		var out syncBuffer
		progressOut, onTerminal = &out, func(io.Writer) bool { return terminal }
		c.must("clock", "advance", "acme", "--by", "1mo")
		c.must("restore", "acme", snap)
		drawn := out.String()
		// The bar redraws at most every few milliseconds, so a quick
		// advance may show only its first description, never "acme at ...".
		advanced := strings.Contains(drawn, "advancing acme") || strings.Contains(drawn, "acme at 20")
		if terminal && (!advanced || !strings.Contains(drawn, "restoring "+snap)) {
			t.Errorf("on a terminal the advance and the restore drew %q", drawn)
		}
		if !terminal && drawn != "" {
			t.Errorf("off a terminal the advance and the restore drew %q", drawn)
		}
	}
}
