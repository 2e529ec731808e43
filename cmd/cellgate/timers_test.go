package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/timeline"
)

// TestTimersCommandRetriesAndDropsDeadTimers: a timer left by an older
// version (a kind this one has no handler for) fails on every run; the
// command-line advance lists it and goes on, `timers list` shows it dead,
// `timers retry` gives it its runs back and `timers drop` deletes it.
func TestTimersCommandRetriesAndDropsDeadTimers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2030, time.May, 1, 0, 0, 0, 0, time.UTC)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "acme", Type: projects.TypeTest}, start); err != nil {
				return err
			}
			return timeline.Schedule(ctx, tx, "acme", "subscription.retiredKind", "sub_old", start.Add(time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		c := jsonCLI{t: t, db: db, cmd: timersCmd}
		cli, must := c.run, c.must

		adv := must("clock", "advance", "acme", "--by", "24h")
		fails, _ := adv["timerFailures"].([]any)
		if adv["now"] != start.Add(24*time.Hour).Format(time.RFC3339) || len(fails) != 1 || fails[0].(map[string]any)["status"] != "dead" {
			t.Fatalf("clock advance past a broken timer: %v", adv)
		}
		list := must("list", "--project", "acme")
		if len(items(list)) != 1 {
			t.Fatalf("timers list: %v", list)
		}
		dead := items(list)[0].(map[string]any)
		id := dead["id"].(string)
		if dead["status"] != "dead" || dead["attempts"] != float64(timeline.MaxAttempts) || !strings.Contains(dead["lastError"].(string), "no handler") {
			t.Fatalf("listed timer: %v", dead)
		}
		if _, err := cli("list", "stray"); err == nil {
			t.Errorf("timers list with a stray argument succeeded")
		}
		if _, err := cli("drop", "tmr_0000000000000000000000"); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("drop a missing timer: %v", err)
		}

		back := must("retry", id)
		if back["status"] != "pending" || back["dueAt"] != start.Add(24*time.Hour).Format(time.RFC3339) {
			t.Fatalf("retried timer: %v", back)
		}
		if l := must("list"); len(items(l)) != 0 {
			t.Fatalf("dead timers after the retry: %v", l)
		}
		if _, err := cli("drop", id); err == nil || !strings.Contains(err.Error(), "timerNotDead") {
			t.Fatalf("drop a timer that is not dead: %v", err)
		}
		// It runs again at the next advance: one more failure, not dead yet.
		must("clock", "advance", "acme", "--by", "30s")
		if l := must("list", "--all"); len(items(l)) != 1 || items(l)[0].(map[string]any)["status"] != "retrying" {
			t.Fatalf("failing timers after the retried run: %v", l)
		}
		must("clock", "advance", "acme", "--by", "24h")
		if dropped := must("drop", id); dropped["status"] != "dropped" || dropped["id"] != id {
			t.Fatalf("drop: %v", dropped)
		}
		if p, _ := timeline.Pending(ctx, db, "sub_old"); len(p) != 0 {
			t.Fatalf("dropped timer still stored: %+v", p)
		}
	})
}
