//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// lockSQLite takes an exclusive lock on "<db path>.lock" for a serve on a
// SQLite database and returns its release, and whether this process is now
// the database's only server; for PostgreSQL it does nothing
// (replicas share the database, and leases keep their calls apart). While
// serve holds the lock it is the only runner of the database's outbound
// operations, so it may release the leases a killed predecessor left
// (docs/outbound.md, "Restart on SQLite"). The kernel drops the lock when
// the process dies, kill -9 included.
func lockSQLite(dbURL string) (release func(), only bool, err error) {
	path, ok := strings.CutPrefix(dbURL, "sqlite:")
	if !ok || path == "" {
		return func() {}, false, nil
	}
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("lock file %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, fmt.Errorf("another cellgate serve is running on %s (it holds %s); one serve per SQLite database", path, lockPath)
		}
		return nil, false, fmt.Errorf("lock file %s: %w", lockPath, err)
	}
	// Closing the file releases the lock; the file itself stays, so a
	// waiting serve never locks a file that is about to be removed.
	return func() { f.Close() }, true, nil
}
