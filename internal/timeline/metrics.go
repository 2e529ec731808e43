package timeline

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Register publishes the timeline's metrics on reg:
// cellgate_timer_failures_total{kind}, the failed runs of this process, and
// cellgate_timers_dead, the dead timers in the database (every replica
// reports the same number: aggregate with max, not sum).
func (r *Runner) Register(reg prometheus.Registerer) {
	r.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cellgate_timer_failures_total",
		Help: "Failed runs of scheduled work (timers), by kind. A timer gives up after " + strconv.Itoa(MaxAttempts) + " failed runs.",
	}, []string{"kind"})
	dead := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cellgate_timers_dead",
		Help: "Timers that gave up and wait for an operator: cellgate timers list|retry|drop.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var n int64
		if err := r.DB.QueryRow(ctx, `SELECT COUNT(*) FROM timeline WHERE dead_at IS NOT NULL`).Scan(&n); err != nil {
			return math.NaN()
		}
		return float64(n)
	})
	reg.MustRegister(r.failures, dead)
}

func (r *Runner) countFailure(kind string) {
	if r.failures != nil {
		r.failures.WithLabelValues(kind).Inc()
	}
}
