package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestOperationsCommandRetriesAndDropsFailedCalls: a call of a kind this
// version cannot make fails for good at the next clock advance;
// `operations list` shows it, `operations retry` puts it back in line
// under the same id, and `operations drop` cancels it.
func TestOperationsCommandRetriesAndDropsFailedCalls(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2030, time.May, 1, 0, 0, 0, 0, time.UTC)
		var id string
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: "acme", Type: projects.TypeTest}, start); err != nil {
				return err
			}
			var err error
			id, err = outbound.Enqueue(ctx, tx, outbound.Request{Project: "acme", Kind: "carrier.retiredKind", Subject: "sub_old",
				Target: "test", Payload: map[string]string{}, DueAt: start})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c := jsonCLI{t: t, db: db, cmd: operationsCmd}
		cli, must := c.run, c.must

		if l := items(must("list")); len(l) != 0 {
			t.Fatalf("failed operations before any ran: %v", l)
		}
		must("clock", "advance", "acme", "--by", "1m")
		l := items(must("list"))
		if len(l) != 1 {
			t.Fatalf("failed operations: %v", l)
		}
		failed := l[0].(map[string]any)
		if failed["id"] != id || failed["status"] != "failed" || !strings.Contains(failed["lastError"].(string), "no handler") {
			t.Fatalf("listed operation: %v", failed)
		}
		if back := must("retry", id); back["status"] != "pending" || back["dueAt"] != start.Add(time.Minute).Format(time.RFC3339) {
			t.Fatalf("retried operation: %v", back)
		}
		if _, err := cli("drop", id); err == nil || !strings.Contains(err.Error(), "operationNotFailed") {
			t.Fatalf("drop an operation that is pending: %v", err)
		}
		if _, err := cli("retry", "op_0000000000000000000000"); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("retry a missing operation: %v", err)
		}
		must("clock", "advance", "acme", "--by", "1m")
		if dropped := must("drop", id); dropped["status"] != "canceled" || dropped["attempts"] != float64(2) {
			t.Fatalf("drop: %v", dropped)
		}
		if l := items(must("list", "--status", "")); len(l) != 1 || l[0].(map[string]any)["status"] != "canceled" {
			t.Fatalf("all operations: %v", l)
		}
	})
}
