package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// GetIncludingDeleted reads a user whatever its status, for resources such
// as subscriptions that keep showing the user they belonged to.
func GetIncludingDeleted(ctx context.Context, q store.Querier, project, id string) (*User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND project_id = ?`, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("users: get %s: %w", id, err)
	}
	return u, nil
}
