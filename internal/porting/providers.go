package porting

import (
	"crypto/sha256"
	_ "embed"
	"encoding/json"
	"math/big"
	"slices"
	"strings"

	"cellgate/internal/errs"
	"cellgate/internal/network"
	"cellgate/internal/store"
)

// A service provider is a carrier a number can be ported from (a donor)
// or to (one of cellgate's providers, the recipient). The donors are data:
// service_providers.json lists the carriers of each country with what they
// check before releasing a number; their porting time is the simulator's
// (network.PortingRules.BusinessDays by code).

// ServiceProvider is the API representation (reference §2.8).
type ServiceProvider struct {
	Object             string   `json:"object"`
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	RecipientProviders []string `json:"recipientProviders"`
}

// donor is a carrier numbers come from.
type donor struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Country string `json:"country"`
	// Code names the donor to the recipient carrier (network.PortingRequest).
	Code string `json:"code"`
	// Requires lists the porting fields the donor checks.
	Requires []string `json:"requires"`
}

//go:embed service_providers.json
var donorData []byte

// donors are the embedded donors, by id.
var donors = func() map[string]donor {
	var doc struct {
		ServiceProviders []donor `json:"serviceProviders"`
	}
	if err := json.Unmarshal(donorData, &doc); err != nil {
		panic("porting: service_providers.json: " + err.Error()) // TestDonorDataIsValid holds it
	}
	m := make(map[string]donor, len(doc.ServiceProviders))
	for _, d := range doc.ServiceProviders {
		m[d.ID] = d
	}
	return m
}()

// recipients are the configured providers a donor's numbers can move to:
// those of its country.
func recipients(carriers *network.Registry, country string) []string {
	out := []string{}
	if carriers == nil {
		return out
	}
	for _, id := range carriers.IDs() {
		if info, _ := carriers.Info(id); info.HomeCountry == country {
			out = append(out, id)
		}
	}
	return out
}

func (d donor) view(carriers *network.Registry) *ServiceProvider {
	return &ServiceProvider{Object: "serviceProvider", ID: d.ID, Name: d.Name, RecipientProviders: recipients(carriers, d.Country)}
}

// recipientView is a cellgate provider as a service provider; its id is
// derived from the provider id, so it is the same on every server.
func recipientView(carriers *network.Registry, provider string) *ServiceProvider {
	name := provider
	if carriers != nil {
		if info, ok := carriers.Info(provider); ok {
			name = info.Name
		}
	}
	return &ServiceProvider{Object: "serviceProvider", ID: providerID(provider), Name: name, RecipientProviders: []string{provider}}
}

// providerID is the svp_ id of a cellgate provider: 22 base62 digits of
// a hash of its id.
func providerID(provider string) string {
	sum := sha256.Sum256([]byte("serviceProvider:" + provider))
	s := new(big.Int).SetBytes(sum[:16]).Text(62)
	return "svp_" + strings.Repeat("0", 22-len(s)) + s
}

// ServiceProviderFilter narrows the list.
type ServiceProviderFilter struct {
	RecipientProvider string
}

// ListServiceProviders pages through the donors, in id order from the
// highest like every list.
func ListServiceProviders(carriers *network.Registry, f ServiceProviderFilter, p store.Page) store.PageOf[*ServiceProvider] {
	var all []*ServiceProvider
	for _, d := range donors {
		v := d.view(carriers)
		if f.RecipientProvider == "" || slices.Contains(v.RecipientProviders, f.RecipientProvider) {
			all = append(all, v)
		}
	}
	slices.SortFunc(all, func(a, b *ServiceProvider) int { return strings.Compare(b.ID, a.ID) })
	return store.PageSlice(all, p, func(v *ServiceProvider) string { return v.ID })
}

// donorFor finds the donor a PATCH names; it must serve the porting's
// provider's country.
func donorFor(carriers *network.Registry, id, provider string) (donor, error) {
	d, ok := donors[id]
	if !ok {
		return donor{}, errs.Invalid("portingDonorProviderNotFound", "donorProvider %q is not a service provider; list them with GET /serviceProviders.", id)
	}
	if !slices.Contains(recipients(carriers, d.Country), provider) {
		return donor{}, errs.Invalid("portingProviderMismatch", "donorProvider %s (%s) cannot port numbers to provider %s.", id, d.Name, provider).
			WithHint("List the donors of a provider with GET /serviceProviders?recipientProvider=%s.", provider)
	}
	return d, nil
}

// UsualBusinessDays is how many business days a port from the donor
// usually takes (seed 000's table by carrier, as the built-in carrier
// profiles hold it); 0 for an unknown donor. A porting still requested
// past it is one to look into.
func UsualBusinessDays(donorID string) int {
	d, ok := donors[donorID]
	if !ok {
		return 0
	}
	days := network.BuiltinProfiles()["test"].Porting.BusinessDays
	if n, ok := days[d.Code]; ok {
		return n
	}
	return days["*"]
}
