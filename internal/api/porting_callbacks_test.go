package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
	"cellgate/internal/webhooks"
)

// portingLaterCarrier takes portings and says nothing of their outcome
// for a year: the outcome comes by callback.
type portingLaterCarrier struct{ laterCarrier }

func (portingLaterCarrier) SubmitPorting(_ context.Context, r network.PortingRequest) (network.PortingStatus, error) {
	return network.PortingStatus{Reference: r.Reference, Status: network.PortingPending, CompletesAt: r.Now.AddDate(1, 0, 0), UpdatedAt: r.Now}, nil
}

// TestPortingCallbacksCompleteOrDeclinePortings: an adapter's signed
// porting.completed callback completes a requested porting (and its line
// is then activated), porting.declined declines one with its code; a
// repeated callback changes nothing more.
func TestPortingCallbacksCompleteOrDeclinePortings(t *testing.T) {
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
		reg = reg.Wrap(func(_ network.ProviderInfo, p network.Provider) network.Provider {
			return portingLaterCarrier{laterCarrier{p}}
		})
		w := newWorldOn(t, db, reg)
		plan := w.plan(map[string]any{"provider": "later"})
		url := w.Server.URL + "/carriers/later/callbacks"
		send := func(cb network.Callback) {
			t.Helper()
			if err := network.SendCallback(context.Background(), http.DefaultClient, url, secret, cb); err != nil {
				t.Fatal(err)
			}
		}
		ported := func(phone string) (sub, portingView) {
			user := w.user(nil)
			var p portingView
			w.Post(w.P("/portings"), map[string]any{"phoneNumber": phone, "provider": "later", "user": user}).Expect(http.StatusCreated).Decode(&p)
			s := w.subscribe(plan, user, "auto", map[string]any{"porting": p.ID})
			w.patchPorting(p.ID, holder(w.donorID("AT&T")))
			return s, w.porting(p.ID)
		}
		s, p := ported("+12015550125")
		if p.Status != "requested" {
			t.Fatalf("porting = %s, want requested", p.Status)
		}
		done := network.Callback{Type: network.CallbackPortingCompleted, Project: "acme", OccurredAt: w.now(),
			Porting: &network.PortingStatus{Reference: p.ID, Status: network.PortingCompleted, UpdatedAt: w.now()}}
		send(done)
		send(done)
		if got := w.porting(p.ID); got.Status != "completed" {
			t.Fatalf("porting after the callback = %s", got.Status)
		}
		var iccid string
		if err := db.QueryRow(context.Background(), `SELECT m.iccid FROM sims m JOIN subscriptions s ON s.sim_id = m.id WHERE s.id = ?`, s.ID).Scan(&iccid); err != nil {
			t.Fatal(err)
		}
		send(network.Callback{Type: network.CallbackActivationCompleted, Project: "acme", OccurredAt: w.now(), ICCID: iccid})
		w.advance(time.Second)
		if got := w.sub(s.ID); got.Status != "active" || *got.PhoneNumber != "+12015550125" {
			t.Fatalf("subscription = %+v, want active with the ported number", got)
		}

		_, q := ported("+12015550126")
		declined := network.Callback{Type: network.CallbackPortingDeclined, Project: "acme", OccurredAt: w.now(),
			Porting: &network.PortingStatus{Reference: q.ID, Status: network.PortingDeclined, DeclineCode: "portingPhoneNumberPortProtected", UpdatedAt: w.now()}}
		send(declined)
		send(declined)
		got := w.porting(q.ID)
		if got.Status != "declined" || got.DeclinedCode == nil || *got.DeclinedCode != "portingPhoneNumberPortProtected" || got.DeclinedAttempts != 1 {
			t.Fatalf("porting after the decline callback = %+v", got)
		}
	})
}

// TestServiceProvidersAreTheDonorsOfAProvidersCountry: the list filters
// by recipient provider (a provider takes numbers of its own country's
// donors) and pages like every list.
func TestServiceProvidersAreTheDonorsOfAProvidersCountry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		type page struct {
			Items          []struct{ ID, Name string }
			MoreItemsAfter *string
		}
		var us page
		w.Get("/serviceProviders?limit=200&recipientProvider=test").Expect(http.StatusOK).Decode(&us)
		names := map[string]bool{}
		for _, it := range us.Items {
			names[it.Name] = true
		}
		if !names["AT&T"] || !names["Verizon"] || names["EE"] || us.MoreItemsAfter != nil {
			t.Fatalf("donors of test = %v", names)
		}
		var first, second page
		w.Get("/serviceProviders?limit=2").Expect(http.StatusOK).Decode(&first)
		if len(first.Items) != 2 || first.MoreItemsAfter == nil {
			t.Fatalf("first page = %+v", first)
		}
		w.Get("/serviceProviders?limit=2&after=" + *first.MoreItemsAfter).Expect(http.StatusOK).Decode(&second)
		if len(second.Items) != 2 || second.Items[0].ID >= first.Items[1].ID {
			t.Fatalf("second page = %+v after %+v", second, first)
		}
		w.Get("/serviceProviders?recipientProvider=nope").ExpectError(http.StatusUnprocessableEntity, "invalid", "providerInvalid")
	})
}

// TestBilledPortedLineActivatesOncePaidAndPorted: in a billed project a
// subscription with a porting activates when both its first invoice is
// paid and its number has moved, in either order.
func TestBilledPortedLineActivatesOncePaidAndPorted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.Patch(w.P(""), map[string]any{"billing": map[string]any{"currency": "USD"}}).Expect(http.StatusOK)
		donor := w.donorID("T-Mobile") // one business day
		// Paid first, ported a day later.
		paidFirst, _ := w.portedSub("+12015550127", holder(donor))
		if paidFirst.Status != "initiated" {
			t.Fatalf("billed ported subscription = %s, want initiated", paidFirst.Status)
		}
		w.invoiceAction(w.firstInvoice(paidFirst.ID).ID, "pay").Expect(http.StatusOK)
		w.advance(time.Hour)
		if st := w.sub(paidFirst.ID).Status; st != "pending" {
			t.Fatalf("paid, not yet ported: %s, want pending", st)
		}
		// Ported first, paid after.
		portedFirst, _ := w.portedSub("+12015550128", holder(donor))
		w.advance(24 * time.Hour)
		if got := w.sub(paidFirst.ID); got.Status != "active" || *got.PhoneNumber != "+12015550127" {
			t.Fatalf("paid then ported: %+v, want active", got)
		}
		if st := w.sub(portedFirst.ID).Status; st != "initiated" {
			t.Fatalf("ported, not paid: %s, want initiated", st)
		}
		w.invoiceAction(w.firstInvoice(portedFirst.ID).ID, "pay").Expect(http.StatusOK)
		w.advance(5 * time.Minute)
		if got := w.sub(portedFirst.ID); got.Status != "active" || *got.PhoneNumber != "+12015550128" {
			t.Fatalf("ported then paid: %+v, want active", got)
		}
	})
}
