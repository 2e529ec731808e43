package store

// Lock order (docs/concurrency.md): every transaction takes its row locks
// in this order and may skip a level but never go back up one, so that
// PostgreSQL never has to break a deadlock (DB.Deadlocks counts those):
//
//	Idempotency-Key → test project's clock lock → user → subscriptions
//	(id order) → SIM → phone number → the subscription's invoices (period,
//	id order) → credit notes (id order) → user balance → timeline rows
//	(SKIP LOCKED only)
//
// Plans and the project row are share-locked wherever they are read, and
// locked exclusively only by their own PATCH, which locks nothing after.
//
// A read that only checks existence (404) takes no lock: locking an
// invoice there, before its subscription, deadlocked pay against
// cancel/resume.

// ForShare is the suffix that makes a SELECT in a transaction wait for,
// and then hold off, writers of the row (PostgreSQL). SQLite's single
// writer serialises transactions already.
func (d Dialect) ForShare() string {
	if d == Postgres {
		return " FOR SHARE"
	}
	return ""
}

// ForNoKeyUpdate locks a row for an update that leaves its key alone, so
// that inserts elsewhere that only reference the row (foreign keys) are not
// blocked by it.
func (d Dialect) ForNoKeyUpdate() string {
	if d == Postgres {
		return " FOR NO KEY UPDATE"
	}
	return ""
}

// LockInTx is the suffix that locks a row read inside a write transaction
// (PostgreSQL), so that concurrent changes to it take turns; outside a
// transaction, and on SQLite, it is empty.
func LockInTx(q Querier) string {
	if _, ok := q.(*Tx); ok {
		return q.Dialect().ForUpdate()
	}
	return ""
}

// ShareInTx is the suffix that holds off writers of a row read inside a
// write transaction (PostgreSQL) while letting other readers share it: a
// plan that many subscriptions read while one PATCH may change it.
func ShareInTx(q Querier) string {
	if _, ok := q.(*Tx); ok {
		return q.Dialect().ForShare()
	}
	return ""
}
