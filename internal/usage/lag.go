package usage

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/store"
)

// FeedLag is how far behind one project's feed of a provider is: the time
// since a poll last read the feed to its end (a batch shorter than the
// limit), on the project's clock. A healthy live feed stays under
// LivePollEvery plus a poll's duration; a feed whose polls fail, or that
// carries more than a poll a minute can take, grows without bound.
type FeedLag struct {
	Project, Provider string
	// Live is false for a test project, whose feed is read daily on its
	// own clock: up to a day behind by design, so not in the metrics.
	Live bool
	Lag  time.Duration
}

// Lags measures every watched feed at wall time now (a test project's
// feed at its own clock).
func Lags(ctx context.Context, q store.Querier, now time.Time) ([]FeedLag, error) {
	return store.All(ctx, q, func(sc store.Scanner) (FeedLag, error) {
		var (
			f           FeedLag
			clock       sql.NullInt64
			caughtUpAt  int64
			projectTime = now
		)
		err := sc.Scan(&f.Project, &f.Provider, &clock, &caughtUpAt)
		if f.Live = !clock.Valid; !f.Live {
			projectTime = store.Time(clock.Int64)
		}
		f.Lag = max(projectTime.Sub(store.Time(caughtUpAt)), 0)
		return f, err
	}, `SELECT f.project_id, f.provider, p.clock_now, f.caught_up_at FROM usage_feeds f JOIN projects p ON p.id = f.project_id
		WHERE f.caught_up_at IS NOT NULL ORDER BY f.project_id, f.provider`)
}

// lagCollector publishes the largest lag of each provider's feeds of
// live projects, and how many are more than FeedLagBehind behind, at each
// scrape.
type lagCollector struct {
	db          *store.DB
	wall        func() time.Time
	lag, behind *prometheus.Desc
}

// FeedLagBehind is the lag past which a feed counts as behind: three live
// poll intervals.
const FeedLagBehind = 3 * LivePollEvery

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.behind
}

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	lags, err := Lags(ctx, c.db, c.wall())
	if err != nil {
		return
	}
	worst, behind := map[string]time.Duration{}, map[string]int{}
	for _, f := range lags {
		if !f.Live {
			continue
		}
		if f.Lag >= worst[f.Provider] {
			worst[f.Provider] = f.Lag
		}
		if f.Lag > FeedLagBehind {
			behind[f.Provider]++
		}
	}
	for provider, lag := range worst {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag.Seconds(), provider)
		ch <- prometheus.MustNewConstMetric(c.behind, prometheus.GaugeValue, float64(behind[provider]), provider)
	}
}
