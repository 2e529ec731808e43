package api_test

import (
	"net/http"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestProviderFaultsFailOnlyTheTestProjectsCalls: a fault injected through
// the API fails exactly its count of the caller's calls (a replay of its
// Idempotency-Key adds none); another project's calls to the same provider
// go through meanwhile; clearing ends an open-ended fault.
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
		w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		as("acme", acmeKey)
		body := map[string]any{"plan": plan, "user": user, "sim": "auto"}
		if r := w.Post(w.P("/subscriptions"), body); r.Status < 500 {
			t.Fatalf("the faulted activation answered %d %s", r.Status, r.Body)
		}
		w.Post(w.P("/subscriptions"), body).Expect(http.StatusCreated)

		inject("fault-2", map[string]any{"operation": "esim.provision", "code": "unavailable"}).Expect(http.StatusOK)
		if r := w.Post(w.P("/subscriptions"), body); r.Status < 500 {
			t.Fatalf("the open-ended fault let a provisioning through: %d", r.Status)
		}
		w.Delete("/testing/providers/test/faults").Expect(http.StatusOK)
		w.Post(w.P("/subscriptions"), body).Expect(http.StatusCreated)

		w.Post("/testing/providers/p99/faults", once).ExpectError(http.StatusNotFound, "notFound", "providerNotFound")
		w.Post("/testing/providers/test/faults", map[string]any{"count": 2}).ExpectError(http.StatusUnprocessableEntity, "invalid", "providerFaultInvalid")
		w.Post("/testing/providers/test/faults", map[string]any{"latency": "soon"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "latencyInvalid")
		as("live", w.NewProject("live", projects.TypeLive))
		w.Post("/testing/providers/test/faults", once).ExpectError(http.StatusForbidden, "permissionDenied", "liveProjectProviderFaults")
	})
}
