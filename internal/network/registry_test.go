package network_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cellgate/internal/network"
)

// TestCarriersFileErrorsAreClear: each mistake in a carriers file names
// the file, the provider and the field.
func TestCarriersFileErrorsAreClear(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := `{"id":"acme","name":"Acme Mobile","homeCountry":"US","countryCode":"1","iccidIssuer":"42","kind":"http","url":"https://adapter.example","secret":"` + secret + `"}`
	for name, c := range map[string]struct{ doc, want string }{
		"not json":      {`{"providers": [`, "not a carriers document"},
		"unknown field": {`{"providers": [], "extra": 1}`, `unknown field "extra"`},
		"empty":         {`{"providers": []}`, "at least one provider"},
		"bad id":        {`{"providers": [` + strings.Replace(good, `"acme"`, `"Acme!"`, 1) + `]}`, "providers[0] (Acme!): id must match"},
		"duplicate":     {`{"providers": [` + good + `,` + good + `]}`, `providers[1]: id "acme" is used twice`},
		"country":       {`{"providers": [` + strings.Replace(good, `"US"`, `"usa"`, 1) + `]}`, "homeCountry must be an ISO 3166"},
		"issuer":        {`{"providers": [` + strings.Replace(good, `"42"`, `"4"`, 1) + `]}`, "iccidIssuer must be two digits"},
		"kind":          {`{"providers": [` + strings.Replace(good, `"http"`, `"carrier"`, 1) + `]}`, `kind must be "simulator" or "http"`},
		"url":           {`{"providers": [` + strings.Replace(good, `https://adapter.example`, `adapter`, 1) + `]}`, "url must be an absolute http(s) URL"},
		"secret":        {`{"providers": [` + strings.Replace(good, secret, `hunter2`, 1) + `]}`, "secret must be whsec_"},
		"profile": {`{"providers": [{"id":"s","name":"S","homeCountry":"US","countryCode":"1","iccidIssuer":"11","kind":"simulator","profile":"nope"}]}`,
			`providers[0] (s): profile "nope" is not a simulator profile`},
		"bad profile": {`{"profiles": {"mine": {"portOutValidity": "1h", "porting": {"businessDays": {"*": 1}}, "usage": {"interval": "3h"}, "failures": {"activation": 2}}},
			"providers": [` + good + `]}`, "profiles.mine: failures.activation must be between 0 and 1"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(c.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := network.LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want it to name %s and say %q", name, err, path, c.want)
		}
	}
	if _, err := network.LoadConfig(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("a missing file: %v", err)
	}
}

// TestCarriersFileBuildsTheRegistry: a file with a simulator using its
// own profile and an HTTP adapter gives a registry of exactly those, in
// file order.
func TestCarriersFileBuildsTheRegistry(t *testing.T) {
	t.Parallel()
	cfg, err := network.ParseConfig([]byte(`{"seed": 9,
		"profiles": {"slow": {"activationDelay": {"min": "1h", "max": "2h"}, "portOutValidity": "24h", "porting": {"businessDays": {"*": 3}}, "usage": {"interval": "1h"}}},
		"providers": [
			{"id":"zz","name":"Slow Sim","homeCountry":"GB","countryCode":"44","iccidIssuer":"77","kind":"simulator","profile":"slow"},
			{"id":"acme","name":"Acme","homeCountry":"US","countryCode":"1","iccidIssuer":"42","kind":"http","url":"http://127.0.0.1:1","secret":"` + secret + `","timeout":"3s"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := network.NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ids := reg.IDs(); len(ids) != 2 || ids[0] != "zz" || ids[1] != "acme" || reg.Index("acme") != 1 {
		t.Fatalf("ids %v", ids)
	}
	sim, _ := reg.Provider("zz")
	if s, ok := sim.(*network.Simulator); !ok || s.Seed != 9 || s.Profile.ActivationDelay.Max != network.Duration(7200e9) {
		t.Fatalf("zz is %T %+v", sim, sim)
	}
	if p, _ := reg.Provider("acme"); p == nil {
		t.Fatal("no acme")
	} else if _, ok := p.(*network.HTTPProvider); !ok {
		t.Fatalf("acme is %T", p)
	}
	if info, _ := reg.Info("acme"); !strings.HasPrefix(network.AllocateESIM(info, "sim_1").ICCID, "8988242") {
		t.Fatalf("acme's ICCIDs are not in its issuer range: %s", network.AllocateESIM(info, "sim_1").ICCID)
	}
	if _, ok := reg.Info("test"); ok {
		t.Fatal("a carriers file keeps the default providers")
	}
}
