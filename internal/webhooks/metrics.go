package webhooks

import "github.com/prometheus/client_golang/prometheus"

// metrics count attempts by outcome and time them.
type metrics struct {
	attempts *prometheus.CounterVec
	seconds  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellgate_webhook_attempts_total",
			Help: "Webhook delivery attempts by result: success (2xx), failure (another status) or error (no answer).",
		}, []string{"result"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cellgate_webhook_attempt_seconds",
			Help:    "Duration of webhook delivery attempts.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.attempts, m.seconds)
	}
	return m
}

func (m *metrics) observe(o outcome) {
	if o.canceled || o.noSend {
		return
	}
	result := "error"
	switch {
	case o.ok():
		result = "success"
	case o.code != 0:
		result = "failure"
	}
	m.attempts.WithLabelValues(result).Inc()
	m.seconds.Observe(o.latency.Seconds())
}
