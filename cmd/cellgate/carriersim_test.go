package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/network/conformance"
)

const simSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// startCarrierSim runs `cellgate carrier-sim` as a second process on a
// free loopback port and returns a client of it.
func startCarrierSim(t testing.TB, bin string, args ...string) (*proc, *network.HTTPProvider, string) {
	t.Helper()
	p := start(t, bin, childEnv(), append([]string{"carrier-sim", "--addr", "127.0.0.1:0", "--secret", simSecret}, args...)...)
	url := p.listenURL(15 * time.Second)
	return p, network.NewHTTPProvider(network.ProviderInfo{ID: "sim", URL: url, Secret: simSecret, Timeout: network.Duration(5 * time.Second)}, http.DefaultTransport), url
}

// TestCarrierSimPassesTheConformanceSuiteOverHTTP: the protocol is proven
// by a real second process: the carrier-sim binary meets the whole
// contract through HTTP, then stops cleanly.
func TestCarrierSimPassesTheConformanceSuiteOverHTTP(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	sim, client, _ := startCarrierSim(t, bin, "--seed", "11", "--profile", "us-mno", "--profiles", writeFile(t, "profiles.json", noRefusals))
	conformance.Run(t, func(*testing.T) network.Provider { return client })
	sim.terminate()
}

// noRefusals is a profile file replacing us-mno's with one that never
// refuses: refusals are a carrier's right, not part of the contract.
const noRefusals = `{"profiles": {"us-mno": {"activationDelay": {"min": "5m", "max": "4h"}, "portOutValidity": "720h",
	"usage": {"interval": "3h", "reportDelay": {"min": "48h", "max": "120h"}, "overReport": {"min": 0.05, "max": 0.07},
		"dataBytes": {"min": 0, "max": 200000000}, "voiceSeconds": {"min": 0, "max": 600}, "smsMessages": {"min": 0, "max": 5},
		"domesticRoaming": 0.05, "internationalRoaming": 0.02, "roamingCountries": ["CA", "MX"]},
	"porting": {"businessDays": {"att": 2, "*": 1}, "declineRate": 0.1, "declineCodes": ["portingDeclined"]},
	"esim": {"tracksState": true, "installDelay": {"min": "1m", "max": "30m"}}}}}`

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeTalksToAnAdapterFromTheCarriersFile: with --carriers naming an
// HTTP adapter, a subscription on that provider's plan provisions and
// activates its eSIM at the adapter, once each; a carriers file with a
// mistake stops serve with a message naming it.
func TestServeTalksToAnAdapterFromTheCarriersFile(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	_, client, simURL := startCarrierSim(t, bin)
	carriers := writeFile(t, "carriers.json", fmt.Sprintf(`{"providers": [
		{"id": "acme", "name": "Acme Mobile", "homeCountry": "US", "countryCode": "1", "iccidIssuer": "42", "kind": "http", "url": %q, "secret": %q}]}`,
		simURL, simSecret))
	key := "cgk_e2e_" + randomHex(t, 12)
	env := childEnv("CELLGATE_DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "c.db"), "CELLGATE_DEMO_API_KEY="+key)
	srv := start(t, bin, env, "serve", "--addr", "127.0.0.1:0", "--carriers", carriers, "--demo")
	base := srv.listenURL(15 * time.Second)
	p := base + "/projects/demo"
	code, plan := seedRequest(t, "POST", p+"/plans", key, `{"name":"Acme","provider":"acme","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
		"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`)
	if code != http.StatusCreated {
		t.Fatalf("plan on acme: %d %v", code, plan)
	}
	if code, _ := seedRequest(t, "GET", p+"/plans?provider=acme", key, ""); code != http.StatusOK {
		t.Fatalf("the configured provider is not a filter value: %d", code)
	}
	if code, _ := seedRequest(t, "GET", p+"/plans?provider=p1", key, ""); code == http.StatusOK {
		t.Fatal("a provider the file leaves out is still known")
	}
	code, user := seedRequest(t, "POST", p+"/users", key, seedUserBody)
	if code != http.StatusCreated {
		t.Fatalf("user: %d %v", code, user)
	}
	code, sub := seedRequest(t, "POST", p+"/subscriptions", key, fmt.Sprintf(`{"plan":%q,"user":%q,"sim":"auto"}`, plan["id"], user["id"]))
	if code != http.StatusCreated {
		t.Fatalf("subscription: %d %v", code, sub)
	}
	code, list := seedRequest(t, "GET", p+"/sims?provider=acme", key, "")
	items, _ := list["items"].([]any)
	if code != http.StatusOK || len(items) != 1 {
		t.Fatalf("acme's SIMs: %d %v", code, list)
	}
	iccid, _ := items[0].(map[string]any)["iccid"].(string)
	if !strings.HasPrefix(iccid, "8988242") {
		t.Fatalf("SIM %s is not in acme's ICCID range", iccid)
	}
	eff, err := client.Effects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if eff[network.OpProvisionESIM][iccid] != 1 || eff[network.OpActivate][iccid] != 1 {
		t.Fatalf("the adapter saw %v for %s, want one provisioning and one activation", eff, iccid)
	}
	srv.terminate()

	bad := writeFile(t, "bad.json", `{"providers": [{"id": "acme", "kind": "http"}]}`)
	_, stderr, exit := run(t, bin, env, t.TempDir(), "serve", "--addr", "127.0.0.1:0", "--carriers", bad)
	if exit == 0 || !strings.Contains(stderr, bad) || !strings.Contains(stderr, "name is required") {
		t.Fatalf("serve with a bad carriers file: exit %d\n%s", exit, stderr)
	}
}
