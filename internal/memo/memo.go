// Package memo keeps values that one unit of work reads many times, such as
// a batch of timers renewing thousands of subscriptions of one project: a
// plan, the project's settings, whether the project has webhook endpoints.
// A value is loaded once per scope and only for reads that the work itself
// does not change (or changes through Lookup, as the balance flag does).
package memo

import "context"

type scope struct{ values map[string]any }

type scopeKey struct{}

// Scope returns a context carrying a new, empty memo.
func Scope(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, &scope{values: map[string]any{}})
}

// Active reports whether ctx carries a memo.
func Active(ctx context.Context) bool {
	_, ok := ctx.Value(scopeKey{}).(*scope)
	return ok
}

// Get returns the value stored under key in ctx's memo, calling load the
// first time. Without a memo it simply calls load.
func Get[T any](ctx context.Context, key string, load func() (T, error)) (T, error) {
	s, ok := ctx.Value(scopeKey{}).(*scope)
	if !ok {
		return load()
	}
	if v, ok := s.values[key]; ok {
		return v.(T), nil
	}
	v, err := load()
	if err == nil {
		s.values[key] = v
	}
	return v, err
}

// Lookup returns the value stored under key, if the memo holds one.
func Lookup[T any](ctx context.Context, key string) (T, bool) {
	var zero T
	s, ok := ctx.Value(scopeKey{}).(*scope)
	if !ok {
		return zero, false
	}
	v, ok := s.values[key].(T)
	return v, ok
}
