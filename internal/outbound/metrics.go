package outbound

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/store"
)

// metrics count attempts by outcome, time the calls and show how many
// operations are failed and wait for an operator.
type metrics struct {
	attempts *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	failed   prometheus.GaugeFunc
}

func newMetrics(db *store.DB) *metrics {
	return &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellgate_operation_attempts_total",
			Help: "Attempts of outbound operations by kind and outcome: succeeded, retry, failed or superseded.",
		}, []string{"kind", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cellgate_operation_call_seconds",
			Help:    "Duration of the calls outbound operations make to outside systems.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		failed: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cellgate_operations_failed",
			Help: "Outbound operations that ran out of attempts and wait for an operator to retry or drop them.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var n int64
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM operations WHERE status = 'failed'`).Scan(&n); err != nil {
				return -1
			}
			return float64(n)
		}),
	}
}

// Register adds the runner's metrics to reg.
func (r *Runner) Register(reg prometheus.Registerer) {
	reg.MustRegister(r.metrics.attempts, r.metrics.seconds, r.metrics.failed)
}
