package platform

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"cellgate/internal/store"
)

// simMemory keeps the built-in simulators' state in the database (table
// simulator_state), so a restart of serve finds the portings and port-out
// credentials its carriers had (network.Memory).
type simMemory struct{ db *store.DB }

func (m simMemory) Remember(ctx context.Context, provider, kind, key string, state []byte) error {
	var err error
	if state == nil {
		_, err = m.db.Exec(ctx, `DELETE FROM simulator_state WHERE provider = ? AND kind = ? AND skey = ?`, provider, kind, key)
	} else {
		_, err = m.db.Exec(ctx, `INSERT INTO simulator_state (provider, kind, skey, state, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (provider, kind, skey) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			provider, kind, key, string(state), store.Micros(time.Now()))
	}
	if err != nil {
		return fmt.Errorf("simulator state %s/%s/%s: %w", provider, kind, key, err)
	}
	return nil
}

func (m simMemory) Recall(ctx context.Context, provider, kind string) (map[string][]byte, error) {
	rows, err := m.db.Query(ctx, `SELECT skey, state FROM simulator_state WHERE provider = ? AND kind = ?`, provider, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var key string
		var state sql.NullString
		if err := rows.Scan(&key, &state); err != nil {
			return nil, err
		}
		out[key] = []byte(state.String)
	}
	return out, rows.Err()
}
