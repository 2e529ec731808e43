package events

import "strings"

// CellgatePrefix starts the types of events that only cellgate has (the
// operations of the platform itself, such as a timer giving up); they
// keep out of the com.gigs. namespace so that no future Gigs type can
// clash with them. Everything else is com.gigs.
const CellgatePrefix = "com.cellgate."

// known lists every event type cellgate emits, by full name. Filters and
// webhook subscriptions are checked against it.
var known = map[string]bool{}

// Register adds event types to the catalogue; each domain package lists
// its own: Gigs types without their com.gigs. prefix, cellgate's own in
// full (com.cellgate.timer.failed).
func Register(types ...string) {
	for _, t := range types {
		known[full(t)] = true
	}
}

// full is the stored type of a type as Record and Register take it.
func full(t string) string {
	if strings.HasPrefix(t, CellgatePrefix) {
		return t
	}
	return TypePrefix + t
}

// Normalize accepts "com.gigs.user.created" or "user.created" (and
// cellgate's own types in full) and returns the full type, and whether it
// is a type cellgate emits.
func Normalize(t string) (string, bool) {
	f := t
	if !strings.HasPrefix(t, CellgatePrefix) {
		f = TypePrefix + strings.TrimPrefix(t, TypePrefix)
	}
	return f, known[f]
}

// Known returns the full names of every registered type.
func Known() []string {
	out := make([]string, 0, len(known))
	for t := range known {
		out = append(out, t)
	}
	return out
}

func init() {
	Register("project.updated",
		"user.created", "user.updated", "user.deleted",
		"userAddress.created", "userAddress.deleted",
		"plan.created", "plan.updated")
}
