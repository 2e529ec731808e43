package snapshots

import (
	"context"
	"slices"
	"testing"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestEveryTableIsClassified: every table of the schema either has a
// project column (a snapshot covers it) or is listed as a child, a global
// table or a kept one. A new table of project data without a project
// column fails here until it is added to Children.
func TestEveryTableIsClassified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		left, err := Unclassified(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Errorf("tables not classified for snapshots (add them to Children, Global or Kept): %v", left)
		}
		tables, err := coveredTables(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, tb := range tables {
			for _, r := range tb.refs {
				if slices.ContainsFunc(tables, func(x table) bool { return x.name == r }) && !seen[r] {
					t.Errorf("%s comes before %s, which it references", tb.name, r)
				}
			}
			seen[tb.name] = true
		}
		for name := range Children {
			if !seen[name] {
				t.Errorf("child table %s is not in the schema", name)
			}
		}
		for _, name := range []string{"users", "subscriptions", "invoices", "events", "timeline", "operations", "idempotency_keys"} {
			if !seen[name] {
				t.Errorf("%s is not covered", name)
			}
		}
		for _, name := range Kept {
			if seen[name] {
				t.Errorf("kept table %s is covered", name)
			}
		}
	})
}
