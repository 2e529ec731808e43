// Package network is the seam between cellgate and the carriers: the
// Provider interface and the built-in simulator behind it.
package network

import (
	"slices"
	"time"
)

// Profile describes one simulated carrier: how it behaves is data, so a
// test can pick a carrier with a long activation or a foreign home country.
type Profile struct {
	ID              string
	Name            string
	HomeCountry     string
	ActivationDelay time.Duration
	// CountryCode is the E.164 country code of the numbers it hands out.
	CountryCode string
}

// profiles are the built-in simulated carriers, named like the reference's
// p1...p9; "test" is the general-purpose test provider (reference §1.9).
var profiles = []Profile{
	{ID: "test", Name: "Test Network", HomeCountry: "US", ActivationDelay: 2 * time.Minute, CountryCode: "1"},
	{ID: "p1", Name: "Simulated US Carrier", HomeCountry: "US", ActivationDelay: 10 * time.Minute, CountryCode: "1"},
	{ID: "p4", Name: "Simulated UK Carrier", HomeCountry: "GB", ActivationDelay: 45 * time.Minute, CountryCode: "44"},
	{ID: "p9", Name: "Simulated Global Carrier", HomeCountry: "US", ActivationDelay: 3 * time.Hour, CountryCode: "1"},
}

// Lookup returns the profile of a provider id.
func Lookup(id string) (Profile, bool) {
	i := slices.IndexFunc(profiles, func(p Profile) bool { return p.ID == id })
	if i < 0 {
		return Profile{}, false
	}
	return profiles[i], true
}

// ProviderIDs lists every provider id, for error messages and docs.
func ProviderIDs() []string {
	out := make([]string, len(profiles))
	for i, p := range profiles {
		out[i] = p.ID
	}
	return out
}
