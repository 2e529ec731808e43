package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"cellgate/client"
	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestClientEndToEnd drives a real server (API, SQLite or PostgreSQL)
// through the client only: a user with an address, a plan, a billed
// subscription paid and renewed by moving the test clock a month, a
// snapshot restored, a webhook endpoint, events, and typed errors.
func TestClientEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, c, must := start(t, db)
		if _, err := c.AdvanceTestClock(ctx, client.To(time.Date(2030, 1, 31, 9, 0, 0, 0, time.UTC))); err != nil {
			t.Fatal(err)
		}
		_, err := c.UpdateProject(ctx, client.Fields{"billing": map[string]any{"currency": "USD"}})
		must(err)
		user, err := c.CreateUser(ctx, client.UserCreate{Email: "jerry@example.com", FullName: "Jerry Seinfeld"})
		must(err)
		addr, err := c.CreateUserAddress(ctx, user.ID, client.UserAddressCreate{Line1: "129 West 81st Street", City: "New York City", State: "NY", PostalCode: "10024", Country: "US"})
		must(err)
		plan, err := c.CreatePlan(ctx, client.Fields{
			"name": "Monthly", "provider": "test", "simTypes": []string{"eSIM"},
			"price":      map[string]any{"amount": 1000, "currency": "USD"},
			"allowances": map[string]any{"dataBytes": 1000000000, "voiceSeconds": nil, "smsMessages": nil},
			"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"},
		})
		must(err)
		sub, err := c.CreateSubscription(ctx, client.SubscriptionCreate{Plan: plan.ID, User: user.ID, SIM: "auto", UserAddress: addr.ID})
		must(err)
		invoices, err := c.ListInvoices(ctx, client.Page{Filters: map[string]string{"subscription": sub.ID}})
		must(err)
		if len(invoices.Items) != 1 || invoices.Items[0].Total.Currency != "USD" {
			t.Fatalf("creation invoices: %+v", invoices.Items)
		}
		paid, err := c.PayInvoice(ctx, invoices.Items[0].ID)
		must(err)
		if paid.Status != "paid" || paid.PaidAt == nil {
			t.Errorf("paid invoice: %+v", paid)
		}
		_, err = c.AdvanceTestClock(ctx, client.By("3h"))
		must(err)
		if s, err := c.GetSubscription(ctx, sub.ID); err != nil || s.Status != "active" || s.CurrentPeriod == nil || s.PhoneNumber == nil {
			t.Fatalf("subscription after activation: %+v, %v", s, err)
		}

		if _, err := c.SimulateUsage(ctx, sub.ID, client.UsageSimulate{Data: 1000000}); err != nil {
			t.Fatal(err)
		}
		balances, err := c.ListSubscriptionUsageBalances(ctx, sub.ID)
		must(err)
		if len(balances.Items) == 0 || balances.Items[0].Used == 0 {
			t.Errorf("balances after simulated usage: %+v", balances.Items)
		}

		snap, err := c.CreateTestSnapshot(ctx, "activated")
		must(err)
		adv, err := c.AdvanceTestClock(ctx, client.By("1mo"))
		must(err)
		if len(adv.TimerFailures) != 0 || adv.Type != "test" {
			t.Errorf("advance: %+v", adv)
		}
		renewed, err := c.ListInvoices(ctx, client.Page{Filters: map[string]string{"subscription": sub.ID}})
		must(err)
		if len(renewed.Items) != 2 {
			t.Errorf("%d invoices after a month, want 2", len(renewed.Items))
		}
		restored, err := c.RestoreTestSnapshot(ctx, snap.ID)
		must(err)
		clock, err := c.GetTestClock(ctx)
		must(err)
		if !clock.Now.Equal(restored.Clock) {
			t.Errorf("clock after restore %s, snapshot %s", clock.Now, restored.Clock)
		}
		if back, err := c.ListInvoices(ctx, client.Page{Filters: map[string]string{"subscription": sub.ID}}); err != nil || len(back.Items) != 1 {
			t.Errorf("invoices after restore: %v, %v", back, err)
		}

		ep, err := c.CreateWebhookEndpoint(ctx, client.WebhookEndpointCreate{URL: "https://example.com/hook", EnabledEvents: []string{"user.created"}})
		must(err)
		if ep.Secret == "" {
			t.Errorf("a new endpoint without its secret")
		}
		events, err := c.ListEvents(ctx, client.Page{Limit: 5})
		must(err)
		if len(events.Items) == 0 || events.MoreItemsAfter == nil {
			t.Errorf("events page: %d items, after %v", len(events.Items), events.MoreItemsAfter)
		}
		if ev, err := c.GetEvent(ctx, events.Items[0].ID); err != nil || ev.SpecVersion != "1.0" {
			t.Errorf("event: %+v, %v", ev, err)
		}

		// Errors are typed; an idempotent retry answers the first result.
		_, err = c.CreateUser(ctx, client.UserCreate{Email: "not an email"})
		var apiErr *client.Error
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnprocessableEntity || apiErr.Type != "invalid" || apiErr.RequestID == "" {
			t.Errorf("bad email: %v", err)
		}
		if _, err := c.GetUser(ctx, "usr_0000000000000000000000"); !errors.As(err, &apiErr) || apiErr.Type != "notFound" {
			t.Errorf("missing user: %v", err)
		}
		ictx := client.WithIdempotencyKey(ctx, "elaine-1")
		first, err := c.CreateUser(ictx, client.UserCreate{Email: "elaine@example.com"})
		must(err)
		again, err := c.CreateUser(ictx, client.UserCreate{Email: "elaine@example.com"})
		if err != nil || again.ID != first.ID {
			t.Errorf("idempotent retry: %+v, %v; want %s", again, err, first.ID)
		}
	})
}

// start serves a test project on db and returns a client for it and a
// check that stops the test on an error.
func start(t *testing.T, db *store.DB) (context.Context, *client.Client, func(error)) {
	env := apitest.New(t, db)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	return context.Background(), client.New(env.Server.URL, env.Project, env.Key), must
}
