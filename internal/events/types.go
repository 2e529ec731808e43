package events

import "strings"

// known lists every event type cellgate emits, without the com.gigs.
// prefix. Filters and webhook subscriptions are checked against it.
var known = map[string]bool{}

// Register adds event types to the catalogue; each domain package lists
// its own.
func Register(types ...string) {
	for _, t := range types {
		known[t] = true
	}
}

// Normalize accepts "com.gigs.user.created" or "user.created" and returns
// the full type, and whether it is a type cellgate emits.
func Normalize(t string) (string, bool) {
	short := strings.TrimPrefix(t, TypePrefix)
	return TypePrefix + short, known[short]
}

// Known returns the full names of every registered type.
func Known() []string {
	out := make([]string, 0, len(known))
	for t := range known {
		out = append(out, TypePrefix+t)
	}
	return out
}

func init() {
	Register("project.updated",
		"user.created", "user.updated", "user.deleted",
		"userAddress.created", "userAddress.deleted",
		"plan.created", "plan.updated")
}
