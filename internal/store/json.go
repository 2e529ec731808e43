package store

import (
	"database/sql"
	"encoding/json"
)

// JSON encodes a document column. Callers pass plain data types, which
// always encode, so a failure is a programming error.
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("store: JSON column: " + err.Error())
	}
	return string(b)
}

// NullJSON encodes an optional document column: nil stores NULL.
func NullJSON[T any](v *T) sql.NullString {
	if v == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: JSON(v), Valid: true}
}

// ScanNullJSON decodes an optional document column into *dst, leaving it
// nil for NULL.
func ScanNullJSON[T any](s sql.NullString, dst **T) error {
	if !s.Valid {
		return nil
	}
	*dst = new(T)
	return json.Unmarshal([]byte(s.String), *dst)
}
