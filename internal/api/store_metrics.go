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
	reg.MustRegister(newStateCollector(db))
	if db.Dialect() != store.SQLite {
		return
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "cellgate_sqlite_wal_truncations_total",
		Help: "Times the SQLite WAL reached its limit under readers that kept PASSIVE checkpoints from finishing, and was checkpointed and truncated.",
	}, func() float64 { f, _ := db.WALCheckpoints(); return float64(f) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "cellgate_sqlite_checkpoint_errors_total",
		Help: "SQLite checkpoints that failed, or truncations that readers held off past the busy timeout (tried again a second later).",
	}, func() float64 { _, e := db.WALCheckpoints(); return float64(e) }))
}
