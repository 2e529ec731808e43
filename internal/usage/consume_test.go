package usage

import (
	"slices"
	"testing"
	"time"
)

// TestConsumptionOrderPlanFirstThenAddonsEarliestExpiry: usage fills the
// plan's balance first, then add-on balances in the order given (earliest
// expiry first); what none has room for goes to the plan's balance past
// its limit, so no usage is lost.
func TestConsumptionOrderPlanFirstThenAddonsEarliestExpiry(t *testing.T) {
	lim := func(n int64) *int64 { return &n }
	day := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, c := range map[string]struct {
		bs     []*balance
		amount int64
		took   []int64
	}{
		"plan alone":               {[]*balance{{limit: lim(100)}}, 30, []int64{30}},
		"plan over its limit":      {[]*balance{{limit: lim(100), used: 90}}, 30, []int64{30}},
		"unlimited plan":           {[]*balance{{}}, 1 << 40, []int64{1 << 40}},
		"plan then add-on":         {[]*balance{{limit: lim(100), used: 90}, {limit: lim(50), until: day}}, 30, []int64{10, 20}},
		"earliest add-on first":    {[]*balance{{limit: lim(10), used: 10}, {limit: lim(5), until: day}, {limit: lim(50), until: day.AddDate(0, 1, 0)}}, 20, []int64{0, 5, 15}},
		"all full: plan takes it":  {[]*balance{{limit: lim(10), used: 10}, {limit: lim(5), used: 5}}, 7, []int64{7, 0}},
		"nothing used":             {[]*balance{{limit: lim(10)}, {limit: lim(5)}}, 0, []int64{0, 0}},
		"add-ons run out, plan on": {[]*balance{{limit: lim(10), used: 8}, {limit: lim(5), until: day}}, 10, []int64{5, 5}},
	} {
		if got := consume(c.bs, c.amount); !slices.Equal(got, c.took) {
			t.Errorf("%s: took %v, want %v", name, got, c.took)
		}
	}
}

// TestThresholdValueRoundsUpWithoutOverflow: a threshold is reached at
// pct % of the limit rounded up, for any limit an int64 holds.
func TestThresholdValueRoundsUpWithoutOverflow(t *testing.T) {
	for _, c := range []struct{ limit, pct, want int64 }{
		{1000, 70, 700}, {10, 70, 7}, {3, 70, 3}, {1, 100, 1}, {0, 90, 0}, {1<<63 - 1, 100, 1<<63 - 1}, {1<<63 - 1, 70, 6456360425798343065},
	} {
		if got := thresholdValue(c.limit, c.pct); got != c.want {
			t.Errorf("thresholdValue(%d, %d) = %d, want %d", c.limit, c.pct, got, c.want)
		}
	}
	if got := percent(1<<62, 1<<63-1); got != 50 {
		t.Errorf("percent of huge amounts = %d", got)
	}
}
