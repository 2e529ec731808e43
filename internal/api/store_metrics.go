package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/store"
)

// registerStoreMetrics exports what the store counts: transactions that
// PostgreSQL aborted to break a deadlock and that ran again. With one lock
// order on every path (docs/concurrency.md) it stays at 0.
func registerStoreMetrics(reg prometheus.Registerer, db *store.DB) {
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "cellgate_store_deadlocks_total",
		Help: "Transactions PostgreSQL aborted to break a deadlock or a serialization conflict (each is run again, up to 4 times).",
	}, func() float64 { return float64(db.Deadlocks()) }))
}
