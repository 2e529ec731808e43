// Package ids makes prefixed, time-ordered identifiers such as
// usr_0SNlurA049MEWV4OpCwsNyC9Kn2d.
//
// An id is a type prefix, an underscore and 22 base62 characters encoding
// 128 bits: 48 bits of Unix milliseconds followed by 80 bits that are random
// for the first id of a millisecond and incremented for each further id in
// the same millisecond. Ids from one process therefore sort in creation
// order, byte-wise, which is what keyset pagination relies on.
package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// Prefixes used by cellgate resources (reference §1.2).
const (
	APIKey       = "apk"
	UsageBalance = "ubl"
	UsageOrphan  = "uor"
	Address      = "adr"
	CreditNote   = "crn"
	Event        = "evt"
	Invoice      = "inv"
	InvoiceLine  = "lin"
	InvoiceTax   = "itx"
	Member       = "mbr"
	Plan         = "pln"
	Quote        = "quo"
	Request      = "req"
	SIM          = "sim"
	Subscription = "sub"
	User         = "usr"
	Webhook      = "whe"
	Delivery     = "msg"
	Snapshot     = "snp"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// encodedLen is the number of base62 digits needed for 128 bits.
const encodedLen = 22

type generator struct {
	mu       sync.Mutex
	lastMs   uint64
	hi, lo   uint64 // the 80-bit counter: 16 bits in hi, 64 in lo
	nowFunc  func() time.Time
	randFunc func([]byte)
}

var global = &generator{nowFunc: time.Now, randFunc: func(b []byte) { _, _ = rand.Read(b) }}

// New returns a fresh id with the given prefix.
func New(prefix string) string {
	return prefix + "_" + global.next()
}

func (g *generator) next() string {
	g.mu.Lock()
	ms := uint64(g.nowFunc().UnixMilli())
	if ms > g.lastMs {
		var b [10]byte
		g.randFunc(b[:])
		g.lastMs = ms
		// Keep the top bit clear so that many increments within one
		// millisecond cannot overflow into the timestamp.
		g.hi = uint64(binary.BigEndian.Uint16(b[:2])) & 0x7fff
		g.lo = binary.BigEndian.Uint64(b[2:])
	} else {
		// Same (or an earlier, after a clock step back) millisecond: keep
		// the last timestamp and count up, so order is preserved.
		g.lo++
		if g.lo == 0 {
			g.hi++
		}
	}
	ms, hi, lo := g.lastMs, g.hi, g.lo
	g.mu.Unlock()
	return encode(ms<<16|hi, lo)
}

// encode writes the 128-bit number (high 64 bits, low 64 bits) in base62.
func encode(high, low uint64) string {
	var out [encodedLen]byte
	for i := encodedLen - 1; i >= 0; i-- {
		// Long division of the 128-bit value by 62.
		qh := high / 62
		r := high % 62
		// (r<<64 | low) / 62, done in two 32-bit halves to stay in uint64.
		mid := r<<32 | low>>32
		qm := mid / 62
		r = mid % 62
		lowPart := r<<32 | low&0xffffffff
		ql := lowPart / 62
		r = lowPart % 62
		high, low = qh, qm<<32|ql
		out[i] = alphabet[r]
	}
	return string(out[:])
}

// HasPrefix reports whether id looks like an id of the given type. It is a
// cheap shape check; existence is for the store to decide.
func HasPrefix(id, prefix string) bool {
	return len(id) == len(prefix)+1+encodedLen && strings.HasPrefix(id, prefix+"_")
}

// Valid reports whether s could be an id at all: at most 64 characters of
// ASCII letters, digits, underscores and hyphens (reference §1.2; project
// ids are slugs such as acme-prod). Anything else can be rejected before it
// reaches a query.
func Valid(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Derived returns the id of a resource that is a function of other data
// (a usage balance is one per subscription, period and allowance): the
// time part is at, the rest a hash of parts, so every reader derives the
// same id without storing it.
func Derived(prefix string, at time.Time, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	ms := uint64(at.UnixMilli())
	hi := uint64(binary.BigEndian.Uint16(h[:2])) & 0x7fff
	return prefix + "_" + encode(ms<<16|hi, binary.BigEndian.Uint64(h[2:10]))
}
