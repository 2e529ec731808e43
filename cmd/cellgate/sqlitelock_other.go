//go:build !unix

package main

// lockSQLite takes no lock where flock is missing: serve then leaves the
// leases of a killed predecessor to run out, as on PostgreSQL.
func lockSQLite(string) (func(), bool, error) { return func() {}, false, nil }
