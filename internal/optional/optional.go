// Package optional tells apart the three states a field of a JSON update
// can be in: left out, set to null, or set to a value. PATCH semantics and
// the metadata rules depend on that difference, which a pointer cannot carry.
package optional

import (
	"bytes"
	"encoding/json"
)

// Value is a JSON field that may be absent, null or set.
type Value[T any] struct {
	Set   bool // the field was present in the body
	Null  bool // it was present and null
	Value T
}

// Of returns a Value set to v.
func Of[T any](v T) Value[T] { return Value[T]{Set: true, Value: v} }

// UnmarshalJSON records that the field was present. encoding/json calls it
// for null too, which is how Null is known.
func (v *Value[T]) UnmarshalJSON(b []byte) error {
	v.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		v.Null = true
		var zero T
		v.Value = zero
		return nil
	}
	v.Null = false
	return json.Unmarshal(b, &v.Value)
}

// Present reports whether the field was given a non-null value.
func (v Value[T]) Present() bool { return v.Set && !v.Null }

// Ptr returns nil when the field is absent or null, and a pointer to the
// value otherwise.
func (v Value[T]) Ptr() *T {
	if !v.Present() {
		return nil
	}
	return &v.Value
}
