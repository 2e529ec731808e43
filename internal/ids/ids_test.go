package ids

import (
	"math/big"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// decode turns the 22 base62 digits back into a number.
func decode(t *testing.T, s string) *big.Int {
	t.Helper()
	n := new(big.Int)
	for _, c := range []byte(s) {
		d := strings.IndexByte(alphabet, c)
		if d < 0 {
			t.Fatalf("%q: %q is not a base62 digit", s, c)
		}
		n.Mul(n, big.NewInt(62))
		n.Add(n, big.NewInt(int64(d)))
	}
	return n
}

func u128(high, low uint64) *big.Int {
	n := new(big.Int).SetUint64(high)
	n.Lsh(n, 64)
	return n.Or(n, new(big.Int).SetUint64(low))
}

// fixedClock returns a generator whose clock is *ms and whose random bytes
// come from fill.
func fixedClock(ms *int64, fill func([]byte)) *generator {
	return &generator{nowFunc: func() time.Time { return time.UnixMilli(*ms) }, randFunc: fill}
}

func randomFill(b []byte) {
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
}

func TestFormat(t *testing.T) {
	for _, prefix := range []string{User, Plan, Address, Event, Request, APIKey, Subscription} {
		id := New(prefix)
		if !regexp.MustCompile(`^` + prefix + `_[0-9A-Za-z]{22}$`).MatchString(id) {
			t.Errorf("New(%q) = %q", prefix, id)
		}
		if !HasPrefix(id, prefix) || !Valid(id) {
			t.Errorf("%q: HasPrefix %v Valid %v", id, HasPrefix(id, prefix), Valid(id))
		}
	}
}

// TestEncodesTheTime: the top 48 bits are the Unix milliseconds.
func TestEncodesTheTime(t *testing.T) {
	ms := time.Date(2025, 5, 22, 9, 31, 39, 123e6, time.UTC).UnixMilli()
	g := fixedClock(&ms, randomFill)
	n := decode(t, g.next())
	if got := new(big.Int).Rsh(n, 80).Int64(); got != ms {
		t.Errorf("timestamp bits = %d, want %d", got, ms)
	}
}

// TestEncodeMatchesBigInt checks the hand-written 128-bit division and
// that the fixed-width encoding keeps numeric order byte-wise.
func TestEncodeMatchesBigInt(t *testing.T) {
	values := [][2]uint64{{0, 0}, {0, 1}, {0, 61}, {0, 62}, {0, ^uint64(0)}, {1, 0}, {^uint64(0), ^uint64(0)}}
	for range 2000 {
		values = append(values, [2]uint64{rand.Uint64(), rand.Uint64()})
	}
	for _, v := range values {
		s := encode(v[0], v[1])
		if len(s) != encodedLen {
			t.Fatalf("encode(%x,%x) = %q: length %d", v[0], v[1], s, len(s))
		}
		if got, want := decode(t, s), u128(v[0], v[1]); got.Cmp(want) != 0 {
			t.Fatalf("encode(%x,%x) = %q decodes to %s, want %s", v[0], v[1], s, got, want)
		}
	}
	for i := 1; i < len(values); i++ {
		a, b := values[i-1], values[i]
		cmpNum := u128(a[0], a[1]).Cmp(u128(b[0], b[1]))
		if cmpStr := strings.Compare(encode(a[0], a[1]), encode(b[0], b[1])); cmpStr != cmpNum {
			t.Fatalf("order of %x%x and %x%x: strings %d, numbers %d", a[0], a[1], b[0], b[1], cmpStr, cmpNum)
		}
	}
}

// TestMonotonicWithinOneMillisecond: many ids in the same millisecond keep
// increasing, including across the carry from the low 64 bits.
func TestMonotonicWithinOneMillisecond(t *testing.T) {
	for name, fill := range map[string]func([]byte){
		"random": randomFill,
		// The largest random start: the counter must carry into hi.
		"carry": func(b []byte) {
			for i := range b {
				b[i] = 0xff
			}
		},
	} {
		ms := int64(1_700_000_000_000)
		g := fixedClock(&ms, fill)
		prev := g.next()
		for i := range 100_000 {
			id := g.next()
			if id <= prev {
				t.Fatalf("%s: id %d: %s after %s", name, i, id, prev)
			}
			prev = id
		}
		if got := new(big.Int).Rsh(decode(t, prev), 80).Int64(); got != ms {
			t.Fatalf("%s: counter overflowed into the timestamp: %d", name, got)
		}
	}
}

// TestOrderAcrossMilliseconds: a later millisecond sorts after every id of
// the earlier one whatever its random start, and a clock stepping back
// does not break the order.
func TestOrderAcrossMilliseconds(t *testing.T) {
	starts := []byte{0xff, 0x00, 0x80, 0x00}
	k := 0
	ms := int64(1_700_000_000_000)
	g := fixedClock(&ms, func(b []byte) {
		for i := range b {
			b[i] = starts[k%len(starts)]
		}
		k++
	})
	var got []string
	for _, step := range []int64{0, 1, 0, 1, 5, -3, -1, 0, 2, 10} {
		ms += step
		for range 3 {
			got = append(got, g.next())
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("ids out of order: %v", got)
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("duplicate ids: %v", got)
	}
}

// TestUniqueAcrossGoroutines: the package generator never hands out the
// same id twice and each goroutine sees its ids increase.
func TestUniqueAcrossGoroutines(t *testing.T) {
	const goroutines, each = 16, 20_000
	out := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]string, each)
			for i := range ids {
				ids[i] = New(User)
			}
			out[g] = ids
		}()
	}
	wg.Wait()
	seen := make(map[string]bool, goroutines*each)
	for g, ids := range out {
		if !slices.IsSorted(ids) {
			t.Errorf("goroutine %d: ids not increasing", g)
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("duplicate id %s", id)
			}
			seen[id] = true
		}
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"usr_0SNlurA049MEWV4OpCwsNyC9Kn2d": true,
		"01G7PFYGYN8WC45QG5GVF8V07V":       true, // older fixtures have no prefix
		"cp_europe_zone_1":                 true,
		"acme-prod":                        true,
		strings.Repeat("a", 64):            true,
		"":                                 false,
		strings.Repeat("a", 65):            false,
		"usr 1":                            false,
		"usr_1'":                           false,
		"usr/1":                            false,
		"usr_ü":                            false,
		"usr_1\n":                          false,
	} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestHasPrefix(t *testing.T) {
	id := New(User)
	for _, c := range []struct {
		id, prefix string
		want       bool
	}{
		{id, User, true},
		{id, Plan, false},
		{id, "us", false},
		{id[:len(id)-1], User, false},
		{id + "x", User, false},
		{"usr" + id[3:], "usr", true},
		{"usrx" + id[4:], "usr", false},
	} {
		if got := HasPrefix(c.id, c.prefix); got != c.want {
			t.Errorf("HasPrefix(%q, %q) = %v, want %v", c.id, c.prefix, got, c.want)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New(User)
	}
}
