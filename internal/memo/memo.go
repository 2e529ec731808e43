// Package memo keeps values that one unit of work reads many times, such as
// a batch of timers renewing thousands of subscriptions of one project: a
// plan, the project's settings, whether the project has webhook endpoints.
// A value is loaded once per scope and only for reads that the work itself
// does not change (or changes through Lookup, as the balance flag does).
//
// Values belong to the transaction that loaded them: Get and Lookup name
// it, and a scope used by another transaction (the next one of a batch
// run one timer at a time, or the rerun of a deadlock victim) starts empty,
// so a value committed by another request before that transaction began is
// seen.
package memo

import "context"

type scope struct {
	tx     any // the transaction the values were read in
	values map[string]any
}

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

// in returns ctx's memo for transaction tx, emptied when it last served
// another transaction; nil without a memo.
func in(ctx context.Context, tx any) *scope {
	s, ok := ctx.Value(scopeKey{}).(*scope)
	if !ok {
		return nil
	}
	if s.tx != tx {
		s.tx, s.values = tx, map[string]any{}
	}
	return s
}

// Get returns the value stored under key in ctx's memo for transaction tx
// (a *store.Tx), calling load the first time in that transaction. Without
// a memo it simply calls load.
func Get[T any](ctx context.Context, tx any, key string, load func() (T, error)) (T, error) {
	s := in(ctx, tx)
	if s == nil {
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

// Lookup returns the value stored under key for transaction tx, if the
// memo holds one.
func Lookup[T any](ctx context.Context, tx any, key string) (T, bool) {
	var zero T
	s := in(ctx, tx)
	if s == nil {
		return zero, false
	}
	v, ok := s.values[key].(T)
	return v, ok
}
