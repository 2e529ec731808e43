package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// loadRow reads one invoice or credit note of the project by id, with an
// optional row lock suffix. Only the change itself locks the row, at its
// place in the lock order (docs/concurrency.md): a check that merely
// answers 404 must not lock an invoice before its subscription.
func loadRow[T any](ctx context.Context, q store.Querier, scan func(store.Scanner) (T, error), table, columns, object, project, id, lock string) (T, error) {
	v, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM `+table+` WHERE id = ? AND project_id = ?`+lock, id, project))
	if errors.Is(err, sql.ErrNoRows) {
		return v, errs.NotFound(object, id)
	}
	if err != nil {
		return v, fmt.Errorf("billing: load %s %s: %w", object, id, err)
	}
	return v, nil
}

// decodeDocuments reads the JSON line items and fees stored with an
// invoice or a credit note.
func decodeDocuments(id, lines, fees string, lineItems any, feeList *[]Fee) error {
	if err := json.Unmarshal([]byte(lines), lineItems); err != nil {
		return fmt.Errorf("billing: line items of %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(fees), feeList); err != nil {
		return fmt.Errorf("billing: fees of %s: %w", id, err)
	}
	return nil
}
