package porting

import (
	"context"
	"fmt"

	"cellgate/internal/store"
)

// OpenFor reports whether the subscription waits for a porting that has
// not finished: its number has not arrived, so it cannot be ported out
// (portOutConflictsWithPorting).
func OpenFor(ctx context.Context, q store.Querier, project, subscription string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM portings WHERE project_id = ? AND subscription_id = ? AND status IN (?, ?, ?, ?)`,
		project, subscription, StatusPending, StatusInformationRequired, StatusRequested, StatusDeclined).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("porting: open portings of %s: %w", subscription, err)
	}
	return n > 0, nil
}
