package store

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
