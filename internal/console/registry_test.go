package console

import (
	"testing"

	"cellgate/internal/operators"
)

// probe is a page registered the way a later feature (usage, portings,
// payments) registers one; the security test in console_test walks it as
// every other route, because it is in the registry.
func init() {
	Register(Page{Route: "GET /probe", Nav: "Probe", Order: 35, Credentials: true,
		Handle: func(*Console, *request) (*answer, error) { return &answer{page: "overview"}, nil }})
}

// TestRegisteredPagesJoinTheNavigationInOrder: a registered page is in the
// navigation at its order, only for the roles that may open it, and every
// Console serves it behind the session checks.
func TestRegisteredPagesJoinTheNavigationInOrder(t *testing.T) {
	labels := func(role operators.Role) []string {
		var out []string
		for _, e := range navFor("acme", role, "/console/p/acme/probe") {
			out = append(out, e.Label)
		}
		return out
	}
	owner := labels(operators.Owner)
	want := []string{"Overview", "Users", "Subscriptions", "Portings", "Probe", "Invoices", "Payments", "Vouchers", "Catalog", "Events", "Developers"}
	if len(owner) != len(want) {
		t.Fatalf("owner's navigation %v, want %v", owner, want)
	}
	for i := range want {
		if owner[i] != want[i] {
			t.Fatalf("owner's navigation %v, want %v", owner, want)
		}
	}
	for _, l := range labels(operators.Support) {
		if l == "Probe" || l == "Developers" {
			t.Fatalf("support's navigation has %s", l)
		}
	}
	c := New(Config{})
	found := false
	for _, r := range c.Routes() {
		found = found || r == "GET /console/p/{project}/probe"
	}
	if !found || !credentialPages["GET /console/p/{project}/probe"] {
		t.Fatalf("the probe page is not served behind the checks: %v", c.Routes())
	}
}
