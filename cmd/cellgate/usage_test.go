package main

import (
	"context"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/usage"
)

// TestUsageOrphansCommandListsRecordsForUnknownLines: a feed record for an
// ICCID no line has is kept aside, and `usage orphans` shows it to the
// operator, per project or for all.
func TestUsageOrphansCommandListsRecordsForUnknownLines(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2030, time.May, 1, 0, 0, 0, 0, time.UTC)
		rec := network.UsageRecord{ICCID: "89000000000000000009", Start: now.Add(-time.Hour), End: now, DataBytes: 42, Country: "US", Roaming: "none"}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "acme", Type: projects.TypeTest}, now); err != nil {
				return err
			}
			_, err := usage.Ingest(ctx, tx, "acme", "test", []network.UsageRecord{rec}, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c := jsonCLI{t: t, db: db, cmd: usageCmd}
		l := items(c.must("orphans", "--project", "acme"))
		if len(l) != 1 {
			t.Fatalf("orphans: %v", l)
		}
		o := l[0].(map[string]any)
		if o["reason"] != usage.OrphanUnknownLine || o["iccid"] != rec.ICCID || o["provider"] != "test" || o["record"].(map[string]any)["dataBytes"] != float64(42) {
			t.Fatalf("orphan: %v", o)
		}
		if l := items(c.must("orphans", "--project", "other")); len(l) != 0 {
			t.Fatalf("another project's orphans: %v", l)
		}
		if _, err := c.run("orphans", "--limit", "0"); err == nil {
			t.Fatal("--limit 0 was accepted")
		}
	})
}
