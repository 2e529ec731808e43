package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// dataBalances are a subscription's data balances, plan first.
func (w *world) dataBalances(sub string) []usageBalance {
	w.t.Helper()
	var out []usageBalance
	for _, b := range w.balances(sub) {
		if b.Allowance.Type == "data" {
			out = append(out, b)
		}
	}
	return out
}

func (w *world) useData(sub string, bytes int64) {
	w.t.Helper()
	w.Post("/testing/projects/"+w.Project+"/subscriptions/"+sub+"/usage", map[string]any{"data": bytes, "voice": 0, "sms": 0}).
		Expect(http.StatusOK)
}

// addonUsed reads what an add-on's data balance used, also once it ended.
func addonUsed(t *testing.T, db *store.DB, sad string) int64 {
	t.Helper()
	var used int64
	if err := db.QueryRow(context.Background(), `SELECT data_bytes FROM usage_addons WHERE subscription_addon_id = ?`, sad).Scan(&used); err != nil {
		t.Fatal(err)
	}
	return used
}

// TestTopUpBoughtAt95PercentRestoresData: at 95 % of the plan's data a
// 1 GB top-up adds a balance; usage fills the plan first, then the
// top-up; its own validity ends it, and usage reported late for its days
// still lands on it.
func TestTopUpBoughtAt95PercentRestoresData(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.planWith(1_000_000_000, 1000, nil)
		s := w.activeSub(plan, w.user(nil), "auto")
		w.useData(s.ID, 950_000_000)
		top := w.buyAddon(s.ID, w.addonOK(plan, nil).ID)
		if bs := w.dataBalances(s.ID); len(bs) != 2 || bs[1].Source.Type != "subscriptionAddon" || *bs[1].Source.SubscriptionAddon != top.ID ||
			*bs[1].Remaining != 1_000_000_000 || *bs[0].Remaining != 50_000_000 {
			t.Fatalf("balances after the top-up = %+v", bs)
		}
		w.useData(s.ID, 200_000_000)
		bs := w.dataBalances(s.ID)
		if bs[0].Used != 1_000_000_000 || *bs[0].Remaining != 0 || bs[1].Used != 150_000_000 || *bs[1].Remaining != 850_000_000 {
			t.Fatalf("plan first, then the top-up: %+v", bs)
		}
		mustEqualTime(t, "top-up usableUntil", bs[1].UsableUntil, top.CurrentPeriod.End)

		// Its validity ends it: no more balance, usage goes past the plan.
		w.advanceTo(top.CurrentPeriod.End.Add(time.Hour))
		if st := w.bought(top.ID).Status; st != "ended" {
			t.Fatalf("top-up after its validity: %s", st)
		}
		w.useData(s.ID, 100_000_000)
		bs = w.dataBalances(s.ID)
		if len(bs) != 1 || bs[0].Used != 1_100_000_000 || addonUsed(t, db, top.ID) != 150_000_000 {
			t.Fatalf("after the top-up ended: %+v", bs)
		}

		// Late usage from the top-up's days lands on the top-up.
		late := w.dataRecord(iccidOf(t, db, s.ID), *s.PhoneNumber, top.CurrentPeriod.Start.Add(24*time.Hour), 300_000_000)
		ingest(t, db, w.Project, []network.UsageRecord{late})
		if got := addonUsed(t, db, top.ID); got != 450_000_000 {
			t.Fatalf("late usage on the top-up = %d, want 450000000", got)
		}
		if bs := w.dataBalances(s.ID); bs[0].Used != 1_100_000_000 {
			t.Fatalf("late usage reached the plan: %+v", bs)
		}
	})
}
