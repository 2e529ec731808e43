package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestMigrateReportsEachStep: on a new database every migration is
// applied one by one and reported, done out of the total; on a migrated
// one nothing is.
func TestMigrateReportsEachStep(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "steps.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var steps [][2]int
	n, err := db.MigrateWith(ctx, func(done, total int) { steps = append(steps, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || len(steps) != n {
		t.Fatalf("applied %d migrations, reported %v", n, steps)
	}
	for i, s := range steps {
		if s != [2]int{i + 1, n} {
			t.Errorf("step %d reported %v, want [%d %d]", i, s, i+1, n)
		}
	}
	steps = nil
	if n, err := db.MigrateWith(ctx, func(done, total int) { steps = append(steps, [2]int{done, total}) }); err != nil || n != 0 || len(steps) != 0 {
		t.Errorf("second run: %d, %v, steps %v", n, err, steps)
	}
}
