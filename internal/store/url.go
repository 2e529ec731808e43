package store

// URL is the database URL the DB was opened with, so that a second pool,
// such as another replica in a test, can open the same database.
func (db *DB) URL() string { return db.url }
