package outbound

import (
	"context"
	"fmt"

	"cellgate/internal/store"
)

// ReleaseLeases frees the lease of every pending operation, so the next
// claim takes them at once instead of after the lease runs out. Only a
// process that knows no other runner is alive may call it: `cellgate
// serve` on SQLite, holding the database's lock file, at start. A lease
// found then belongs to a process that died (kill -9, power loss) between
// claiming and recording an outcome; its call is repeated with the same
// idempotency key. It returns how many leases it freed.
func ReleaseLeases(ctx context.Context, db *store.DB) (int64, error) {
	res, err := db.Exec(ctx, `UPDATE operations SET leased_until = NULL WHERE status = 'pending' AND leased_until IS NOT NULL`)
	if err != nil {
		return 0, fmt.Errorf("outbound: release leases: %w", err)
	}
	return res.RowsAffected()
}
