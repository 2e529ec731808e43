package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/outbound"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestProviderFaultsFailOnlyTheTestProjectsCalls: a fault injected through
// the API fails exactly its count of the caller's calls (a replay of its
// Idempotency-Key adds none); another project's calls to the same provider
// go through meanwhile; clearing ends an open-ended fault.
// simOf is the SIM of a subscription (the API shows it once active).
func simOf(t *testing.T, db *store.DB, subscription string) string {
	t.Helper()
	var id string
	if err := db.QueryRow(context.Background(), `SELECT sim_id FROM subscriptions WHERE id = ?`, subscription).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// lineOperation is the outbound operation of kind about subject.
func lineOperation(t *testing.T, db *store.DB, kind, subject string) outbound.Operation {
	t.Helper()
	ops, err := outbound.OfSubject(context.Background(), db, subject)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if op.Kind == kind {
			return op
		}
	}
	t.Fatalf("no %s operation about %s among %+v", kind, subject, ops)
	return outbound.Operation{}
}

func TestProviderFaultsFailOnlyTheTestProjectsCalls(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		acmeKey, globexKey := w.Key, w.NewProject("globex", projects.TypeTest)
		as := func(project, key string) { w.Env.Project, w.Env.Key = project, key }
		plan, user := w.plan(nil), w.user(nil)
		inject := func(key string, body map[string]any) *apitest.Response {
			return w.Do(apitest.Request{Method: http.MethodPost, Path: "/testing/providers/test/faults", Headers: map[string]string{"Idempotency-Key": key}, Body: body})
		}
		once := map[string]any{"operation": "lines.activate", "count": 1, "code": "activationRejected", "message": "simulated refusal"}
		fault := inject("fault-1", once).Expect(http.StatusOK).JSON()
		if fault["object"] != "providerFault" || fault["project"] != "acme" || fault["count"] != float64(1) {
			t.Fatalf("fault %v", fault)
		}
		if r := inject("fault-1", once).Expect(http.StatusOK); r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the replay was not marked: %v", r.Header)
		}

		as("globex", globexKey)
		other := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		w.advance(3 * time.Minute)
		if st := w.sub(other.ID).Status; st != "active" {
			t.Fatalf("another project's line is %s under acme's fault", st)
		}
		as("acme", acmeKey)
		// The carrier refuses the activation for good: the subscription is
		// created and stays pending, its operation failed (docs/outbound.md).
		refused := w.subscribe(plan, user, "auto", nil)
		if op := lineOperation(t, db, "carrier.activate", simOf(t, db, refused.ID)); op.Status != "failed" || !strings.Contains(op.LastError, "activationRejected") {
			t.Fatalf("the refused activation: %+v", op)
		}
		accepted := w.subscribe(plan, user, "auto", nil)
		w.advance(3 * time.Minute)
		if a, r := w.sub(accepted.ID).Status, w.sub(refused.ID).Status; a != "active" || r != "pending" {
			t.Fatalf("after the refusal: next line %s, refused line %s", a, r)
		}

		// An open-ended outage of eSIM registration: the line waits, its
		// registration retried on the project's clock, until it ends.
		inject("fault-2", map[string]any{"operation": "esim.provision", "code": "unavailable"}).Expect(http.StatusOK)
		stuck := w.subscribe(plan, user, "auto", nil)
		w.advance(10 * time.Minute)
		if op := lineOperation(t, db, "carrier.registerESIM", simOf(t, db, stuck.ID)); op.Status != "pending" || op.Attempts < 3 || w.sub(stuck.ID).Status != "pending" {
			t.Fatalf("during the outage: %+v, line %s", op, w.sub(stuck.ID).Status)
		}
		w.Delete("/testing/providers/test/faults").Expect(http.StatusOK)
		w.advance(time.Hour)
		if st := w.sub(stuck.ID).Status; st != "active" {
			t.Fatalf("after the outage the line is %s", st)
		}

		w.Post("/testing/providers/p99/faults", once).ExpectError(http.StatusNotFound, "notFound", "providerNotFound")
		w.Post("/testing/providers/test/faults", map[string]any{"count": 2}).ExpectError(http.StatusUnprocessableEntity, "invalid", "providerFaultInvalid")
		w.Post("/testing/providers/test/faults", map[string]any{"latency": "soon"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "latencyInvalid")
		as("live", w.NewProject("live", projects.TypeLive))
		w.Post("/testing/providers/test/faults", once).ExpectError(http.StatusForbidden, "permissionDenied", "liveProjectProviderFaults")
	})
}
