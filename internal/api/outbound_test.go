package api_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// txGuard is a carrier that fails the test when it is called while a
// database transaction is open, and notes every call it gets.
type txGuard struct {
	network.Provider
	t     *testing.T
	db    *store.DB
	mu    *sync.Mutex
	calls *[]string
}

func (g txGuard) check(call string) {
	if n := g.db.OpenTransactions(); n != 0 {
		g.t.Errorf("carrier call %s made while %d database transactions were open", call, n)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	*g.calls = append(*g.calls, call)
}

func (g txGuard) ProvisionESIM(ctx context.Context, req network.ProvisionRequest) error {
	g.check("provisionESIM")
	return g.Provider.ProvisionESIM(ctx, req)
}

func (g txGuard) Activate(ctx context.Context, req network.LineRequest) (network.Activation, error) {
	g.check("activate")
	return g.Provider.Activate(ctx, req)
}

func (g txGuard) Deactivate(ctx context.Context, req network.LineRequest) error {
	g.check("deactivate")
	return g.Provider.Deactivate(ctx, req)
}

func (g txGuard) Restrict(ctx context.Context, req network.LineRequest) error {
	g.check("restrict")
	return g.Provider.Restrict(ctx, req)
}

func (g txGuard) Restore(ctx context.Context, req network.LineRequest) error {
	g.check("restore")
	return g.Provider.Restore(ctx, req)
}

func (g txGuard) SwapSIM(ctx context.Context, req network.SwapRequest) error {
	g.check("swapSIM")
	return g.Provider.SwapSIM(ctx, req)
}

func (g txGuard) ChangePlan(ctx context.Context, req network.PlanChangeRequest) error {
	g.check("changePlan")
	return g.Provider.ChangePlan(ctx, req)
}

func (g txGuard) SetAddonAllowance(ctx context.Context, req network.AddonAllowanceRequest) error {
	g.check("addonAllowance")
	return g.Provider.SetAddonAllowance(ctx, req)
}

// guardedWorld is a world whose carriers fail the test when called while
// a transaction is open; carrierCalls lists the calls they got, in order.
func guardedWorld(t *testing.T, db *store.DB) (w *world, carrierCalls func() []string) {
	var (
		mu    sync.Mutex
		calls []string
	)
	carriers := network.Default().Wrap(func(_ network.ProviderInfo, p network.Provider) network.Provider {
		return txGuard{Provider: p, t: t, db: db, mu: &mu, calls: &calls}
	})
	return newWorldOn(t, db, carriers), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(calls)
	}
}

// TestNoCarrierCallWhileATransactionIsOpen: a billed line's whole life
// through the API (eSIM registration, activation, restriction for an
// overdue invoice, restore on payment, the end) reaches the carrier only
// from outside every database transaction.
func TestNoCarrierCallWhileATransactionIsOpen(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, carrierCalls := guardedWorld(t, db)
		w.Patch(w.P(""), map[string]any{"billing": map[string]any{"invoiceOverdueDays": 2, "invoiceOverdueAction": "restrict"}}).
			Expect(http.StatusOK)

		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		w.invoiceAction(w.firstInvoice(s.ID).ID, "pay").Expect(http.StatusOK)
		w.advance(3 * time.Hour)
		renewal := w.sub(s.ID).CurrentPeriod.End
		w.advanceTo(renewal.Add(2 * 24 * time.Hour))
		inv := w.invoices("?subscription=" + s.ID + "&reason=subscriptionRenewal")[0]
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		w.endNow(s.ID)

		calls := carrierCalls()
		want := []string{"provisionESIM", "activate", "restrict", "restore", "deactivate"}
		if !slices.Equal(calls, want) {
			t.Fatalf("carrier calls %v, want %v", calls, want)
		}
	})
}
