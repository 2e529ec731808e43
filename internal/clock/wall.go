package clock

import "time"

// Wall is the wall clock as cellgate records it: UTC, whole seconds, the
// resolution every timestamp it shows has. It is the one place wall time
// enters stored times (live projects' clocks, the timeline worker, webhook
// deliveries), so no use needs to round again.
func Wall() time.Time { return time.Now().UTC().Truncate(time.Second) }

// CeilSecond rounds t up to a whole second, for times computed from the
// wall clock plus a delay that is not whole (jitter, Retry-After dates):
// rounding up never makes work due before its delay.
func CeilSecond(t time.Time) time.Time {
	if s := t.Truncate(time.Second); !s.Equal(t) {
		return s.Add(time.Second)
	}
	return t
}
