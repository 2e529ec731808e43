package outbound

import (
	"errors"
	"time"
)

// Policy bounds how operations are attempted.
type Policy struct {
	// MaxAttempts is how many calls an operation gets before it fails.
	MaxAttempts int
	// FirstBackoff is the wait after the first failure; each later
	// failure doubles it, up to MaxBackoff. Waits are on the project's
	// clock, so a test project retries as its clock moves.
	FirstBackoff, MaxBackoff time.Duration
	// CallTimeout bounds one call.
	CallTimeout time.Duration
	// Lease is how long a claim holds an operation: longer than a call
	// and its outcome's transaction, so only a crashed worker loses it.
	Lease time.Duration
	// Concurrency is how many live calls run at once in one process.
	Concurrency int
}

// DefaultPolicy: 8 attempts over about an hour (30 s, 1, 2, 4, 8, 16 and
// 32 min between them).
var DefaultPolicy = Policy{
	MaxAttempts:  8,
	FirstBackoff: 30 * time.Second,
	MaxBackoff:   6 * time.Hour,
	CallTimeout:  30 * time.Second,
	Lease:        2 * time.Minute,
	Concurrency:  32,
}

// backoff is the wait after the attempt-th failure.
func (p Policy) backoff(attempt int) time.Duration {
	d := p.FirstBackoff
	for i := 1; i < attempt && d < p.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.MaxBackoff)
}

// Permanent is implemented by errors that another attempt cannot fix,
// such as a carrier refusing a request as invalid. Every other error is
// retried while attempts remain.
type Permanent interface{ Permanent() bool }

func retryable(err error) bool {
	var p Permanent
	return !errors.As(err, &p) || !p.Permanent()
}

// PermanentError wraps err as not worth retrying.
func PermanentError(err error) error { return permanent{err} }

type permanent struct{ error }

func (permanent) Permanent() bool { return true }
func (p permanent) Unwrap() error { return p.error }
