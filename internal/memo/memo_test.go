package memo

import (
	"context"
	"errors"
	"testing"
)

// TestMemoLoadsOncePerScope: inside a scope a key is loaded once and a
// failed load is not kept; outside a scope every call loads.
func TestMemoLoadsOncePerScope(t *testing.T) {
	loads := 0
	load := func() (int, error) { loads++; return loads, nil }

	tx1 := new(int) // stands for a transaction
	ctx := Scope(context.Background())
	for range 3 {
		if v, _ := Get(ctx, tx1, "k", load); v != 1 {
			t.Fatalf("Get in a scope = %d, want the first load, 1", v)
		}
	}
	if _, err := Get(ctx, tx1, "bad", func() (int, error) { return 0, errors.New("boom") }); err == nil {
		t.Fatal("a failed load did not fail")
	}
	if _, ok := Lookup[int](ctx, tx1, "bad"); ok {
		t.Fatal("a failed load was kept")
	}
	if v, ok := Lookup[int](ctx, tx1, "k"); !ok || v != 1 {
		t.Fatalf("Lookup = %d, %v; want 1, true", v, ok)
	}

	if v, _ := Get(Scope(context.Background()), tx1, "k", load); v != 2 {
		t.Fatalf("a new scope kept the old value: %d", v)
	}
	plain := context.Background()
	Get(plain, tx1, "k", load)
	Get(plain, tx1, "k", load)
	if loads != 4 || Active(plain) || !Active(ctx) {
		t.Fatalf("loads = %d (want 4: once per scope, every time without one), active outside = %v", loads, Active(plain))
	}
}
