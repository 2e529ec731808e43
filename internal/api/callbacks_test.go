package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/webhooks"
)

// laterCarrier answers activations without a time: the outcome comes by
// callback, as some carriers do.
type laterCarrier struct{ network.Provider }

func (laterCarrier) ProvisionESIM(context.Context, network.ProvisionRequest) error { return nil }
func (laterCarrier) Activate(context.Context, network.LineRequest) (network.Activation, error) {
	return network.Activation{}, nil
}

// TestCarrierCallbacksCompleteOrFailActivations: a line whose carrier
// answers "later" stays pending until the signed activation.completed
// callback; a repeated callback changes nothing; activation.failed fails
// the activation's operation for an operator; a callback that is not
// signed with the provider's secret changes nothing.
func TestCarrierCallbacksCompleteOrFailActivations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		secret := webhooks.NewSecret()
		cfg, err := network.ParseConfig([]byte(`{"providers": [{"id": "later", "name": "Later Mobile", "homeCountry": "US", "countryCode": "1",
			"iccidIssuer": "77", "kind": "http", "url": "http://127.0.0.1:9", "secret": "` + secret + `"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		reg, err := network.NewRegistry(cfg)
		if err != nil {
			t.Fatal(err)
		}
		reg = reg.Wrap(func(_ network.ProviderInfo, p network.Provider) network.Provider { return laterCarrier{p} })
		w := newWorldOn(t, db, reg)
		plan := w.plan(map[string]any{"provider": "later"})
		s := w.subscribe(plan, w.user(nil), "auto", nil)
		w.advance(time.Hour)
		if st := w.sub(s.ID).Status; st != "pending" {
			t.Fatalf("before the callback the line is %s", st)
		}
		var iccid string
		if err := db.QueryRow(context.Background(), `SELECT m.iccid FROM sims m JOIN subscriptions s ON s.sim_id = m.id WHERE s.id = ?`, s.ID).Scan(&iccid); err != nil {
			t.Fatal(err)
		}
		url := w.Server.URL + "/carriers/later/callbacks"
		send := func(secret string, cb network.Callback) error {
			return network.SendCallback(context.Background(), http.DefaultClient, url, secret, cb)
		}
		done := network.Callback{Type: network.CallbackActivationCompleted, Project: "acme", OccurredAt: w.now(), ICCID: iccid}
		if err := send(webhooks.NewSecret(), done); err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("a callback signed with another secret: %v", err)
		}
		if err := network.SendCallback(context.Background(), http.DefaultClient, url+"?x=1", secret, done); err == nil || !strings.Contains(err.Error(), "422") {
			t.Fatalf("a callback with an unknown query parameter: %v", err)
		}
		w.advance(time.Minute)
		if st := w.sub(s.ID).Status; st != "pending" {
			t.Fatalf("after a forged callback the line is %s", st)
		}
		for range 2 {
			if err := send(secret, done); err != nil {
				t.Fatal(err)
			}
		}
		w.advance(time.Second)
		if got := w.sub(s.ID); got.Status != "active" || len(w.eventsOf(s.ID)) == 0 {
			t.Fatalf("after the callback: %+v", got)
		}

		refused := w.subscribe(plan, w.user(nil), "auto", nil)
		act := lineOperation(t, db, "carrier.activate", simOf(t, db, refused.ID))
		failed := network.Callback{Type: network.CallbackActivationFailed, Project: "acme", OccurredAt: w.now(), ICCID: "89000000000000000000",
			IdempotencyKey: act.ID, Error: &network.Error{Code: network.CodeActivationRejected, Message: "no coverage"}}
		if err := send(secret, failed); err != nil {
			t.Fatal(err)
		}
		if op := lineOperation(t, db, "carrier.activate", simOf(t, db, refused.ID)); op.Status != "failed" || !strings.Contains(op.LastError, "no coverage") {
			t.Fatalf("the failed activation: %+v", op)
		}
		if st := w.sub(refused.ID).Status; st != "pending" {
			t.Fatalf("a line whose activation failed is %s", st)
		}
		var failures int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM events WHERE type = 'com.cellgate.operation.failed' AND subject = ?`, act.ID).Scan(&failures); err != nil || failures != 1 {
			t.Fatalf("%d operation.failed events: %v", failures, err)
		}
	})
}
