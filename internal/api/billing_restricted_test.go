package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// lineLog is a carrier registry that passes every call to the simulator
// and remembers, per ICCID, what the carrier was told.
type lineLog struct {
	mu    sync.Mutex
	calls map[string][]string
}

// registry wraps the default providers so that every call is noted.
func (l *lineLog) registry() *network.Registry {
	return network.Default().Wrap(func(_ network.ProviderInfo, p network.Provider) network.Provider {
		return &loggedLine{Provider: p, log: l}
	})
}

func (l *lineLog) of(iccid string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls[iccid]...)
}

type loggedLine struct {
	network.Provider
	log *lineLog
}

func (p *loggedLine) note(req network.LineRequest, call string) {
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	p.log.calls[req.ICCID] = append(p.log.calls[req.ICCID], call)
}

func (p *loggedLine) Activate(ctx context.Context, req network.LineRequest) (network.Activation, error) {
	p.note(req, "activate")
	return p.Provider.Activate(ctx, req)
}

func (p *loggedLine) Deactivate(ctx context.Context, req network.LineRequest) error {
	p.note(req, "deactivate")
	return p.Provider.Deactivate(ctx, req)
}

func (p *loggedLine) Restrict(ctx context.Context, req network.LineRequest) error {
	p.note(req, "restrict")
	return p.Provider.Restrict(ctx, req)
}

func (p *loggedLine) Restore(ctx context.Context, req network.LineRequest) error {
	p.note(req, "restore")
	return p.Provider.Restore(ctx, req)
}

// TestBillingRestrictedAllowance: "Subscriptions in restricted status have
// a reduced allowance, with no data and only incoming calls and SMS." The
// carrier is told to restrict the line when the invoice becomes overdue,
// and to restore it when the invoice is paid; nothing else in between.
func TestBillingRestrictedAllowance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		lines := &lineLog{calls: map[string][]string{}}
		w := newWorldOn(t, db, lines.registry())
		w.Patch(w.P(""), map[string]any{"billing": map[string]any{"invoiceOverdueDays": 2, "invoiceOverdueAction": "restrict"}}).
			Expect(http.StatusOK)

		s := w.subscribe(w.plan(nil), w.user(nil), "auto", nil)
		w.invoiceAction(w.firstInvoice(s.ID).ID, "pay").Expect(http.StatusOK)
		w.advance(3 * time.Hour)
		s = w.sub(s.ID)
		iccid := s.SIM.ICCID
		renewal := s.CurrentPeriod.End

		w.advanceTo(renewal.Add(2*24*time.Hour - time.Second))
		if got := lines.of(iccid); len(got) != 1 || w.sub(s.ID).Status != "active" {
			t.Fatalf("in the grace period: carrier calls %v, status %s; want only the activation, active", got, w.sub(s.ID).Status)
		}
		w.advanceTo(renewal.Add(2 * 24 * time.Hour))
		if got, st := lines.of(iccid), w.sub(s.ID).Status; len(got) != 2 || got[1] != "restrict" || st != "restricted" {
			t.Fatalf("at the overdue time: carrier calls %v, status %s; want activate, restrict and restricted", got, st)
		}
		inv := w.invoices("?subscription=" + s.ID + "&reason=subscriptionRenewal")[0]
		w.invoiceAction(inv.ID, "pay").Expect(http.StatusOK)
		if got, st := lines.of(iccid), w.sub(s.ID).Status; len(got) != 3 || got[2] != "restore" || st != "active" {
			t.Fatalf("after paying: carrier calls %v, status %s; want a restore and active", got, st)
		}
	})
}
