package api_test

// Fuzz targets over the real HTTP handler and a real database. Each input
// is one request; the answer must be a success or a 4xx in the documented
// envelope, never a 5xx, and a rejected request must leave every table as
// it was. Plain `go test` runs the seed corpus on every engine; `-fuzz`
// runs on SQLite only (PostgreSQL is too slow to fuzz).

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// fuzzWorld is one engine's seeded project and the state it was last
// seen in.
type fuzzWorld struct {
	*writeWorld
	db     *store.DB
	bodies map[string]any
	known  snapshot // the database after the last accepted request
}

// fuzzing reports whether the test binary runs with -fuzz.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// fuzzWorlds seeds a writeWorld (plus a webhook endpoint) on each engine.
func fuzzWorlds(f *testing.F) []*fuzzWorld {
	engines := storetest.Engines(f)
	if fuzzing() {
		engines = engines[:1] // SQLite
	}
	var out []*fuzzWorld
	for _, e := range engines {
		db := e.Open(f)
		ww := seedWriteWorld(&world{Env: apitest.New(f, db), t: f})
		ep, _ := createEndpoint(f, ww.Env, map[string]any{"url": "https://example.com/hook"})
		// No worker runs, so no delivery exists: retry answers 404.
		ww.params["endpoint"], ww.params["delivery"] = ep, "msg_0000000000000000000000"
		out = append(out, &fuzzWorld{writeWorld: ww, db: db, bodies: validWriteBodies(ww, "https://example.com/other"), known: takeSnapshot(f, db)})
	}
	return out
}

// send makes one request and checks the answer and the database.
func (fw *fuzzWorld) send(t *testing.T, method, path string, body []byte) {
	r, err := rawDo(fw.Env, method, path, body, auth(fw.Key))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	what := method + " " + path + " " + string(body)
	if r.Status >= 500 || r.Status < 200 || (r.Status >= 300 && r.Status < 400) {
		t.Fatalf("%s: status %d: %s", what, r.Status, r.Body)
	}
	if r.Status >= 400 {
		checkEnvelope(t, what, r)
	}
	if method == http.MethodGet {
		return
	}
	now := takeSnapshot(t, fw.db)
	if d := fw.known.diff(now); r.Status >= 400 && len(d) > 0 {
		t.Fatalf("%s: answered %d but changed the database:\n  %s", what, r.Status, strings.Join(d, "\n  "))
	}
	fw.known = now
}

// checkEnvelope checks that an error answer is the documented envelope
// with the status of its type.
func checkEnvelope(t *testing.T, what string, r *rawResponse) {
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: %d is not a JSON error envelope: %s", what, r.Status, r.Body)
	}
	for k := range m {
		if !envelopeKeys[k] {
			t.Fatalf("%s: undocumented key %q: %s", what, k, r.Body)
		}
	}
	typ, _ := m["type"].(string)
	msg, _ := m["message"].(string)
	want, known := statusOfType[typ]
	if m["object"] != "error" || !known || msg == "" || (want != r.Status && r.Status != http.StatusMethodNotAllowed) {
		t.Fatalf("%s: %d is not the documented envelope: %s", what, r.Status, r.Body)
	}
}

// bodyRoutes lists the POST and PATCH routes of a family (see
// bodyFamilies), in router order.
func bodyRoutes(db *store.DB, family string) []string {
	var out []string
	for _, r := range writeRoutes(db) {
		if !strings.HasPrefix(r, http.MethodDelete) && familyOf(r) == family {
			out = append(out, r)
		}
	}
	return out
}

// bodyFamilies are the fuzz targets of request bodies, by the first path
// segment after the project ("" is the project itself).
var bodyFamilies = map[string][]string{
	"users": {"users"}, "plans": {"plans"}, "subscriptions": {"subscriptions"},
	"billing": {"quotes", "invoices", "creditNotes"}, "webhooks": {"webhookEndpoints"}, "project": {"", "sims", "clock"},
	"payments": {"paymentSettings", "paymentMethods", "payments", "paymentTokens", "vouchers"},
	"testing":  {"snapshots", "reset"},
	"apiKeys":  {"apiKeys"},
	"changes":  {"subscriptionChanges", "addons", "subscriptionAddons"},
	"portings": {"portings"}, "devices": {"devices"},
	"portOuts": {"portOuts", "consentRequests"},
	"connect":  {"connectSessions"},
}

func familyOf(route string) string {
	_, pattern, _ := strings.Cut(route, " ")
	if strings.HasSuffix(pattern, "/usage") || strings.HasSuffix(pattern, "/trafficModel") {
		return "usage"
	}
	if strings.HasPrefix(pattern, "/consentRequests/") {
		return "portOuts" // the user's consent answers, outside any project
	}
	_, rest, _ := strings.Cut(pattern, "{project}")
	seg, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	for fam, segs := range bodyFamilies {
		for _, s := range segs {
			if s == seg {
				return fam
			}
		}
	}
	return ""
}

// TestFuzzTargetsCoverEveryBodyRoute: every POST and PATCH route belongs
// to a body fuzz target.
func TestFuzzTargetsCoverEveryBodyRoute(t *testing.T) {
	db := storetest.Engines(t)[0].Open(t)
	for _, r := range writeRoutes(db) {
		if !strings.HasPrefix(r, http.MethodDelete) && familyOf(r) == "" {
			t.Errorf("%s has no body fuzz target: add its path to bodyFamilies", r)
		}
	}
}

// fuzzBodies is the body fuzz target of one family: the input picks a
// route and gives its body; the seeds are each route's valid body and a
// few broken ones.
func fuzzBodies(f *testing.F, family string) {
	worlds := fuzzWorlds(f)
	routes := bodyRoutes(worlds[0].db, family)
	for i, r := range routes {
		valid := rawBody(f, worlds[0].bodies[r])
		f.Add(uint8(i), valid)
		f.Add(uint8(i), []byte(`{"x":`))
		f.Add(uint8(i), []byte(`{"metadata":{"k":"\u0000"}}`))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		method, pattern, _ := strings.Cut(r, " ")
		for _, fw := range worlds {
			fw.send(t, method, fw.path(t, pattern), body)
		}
	})
}

func FuzzUserBodies(f *testing.F)         { fuzzBodies(f, "users") }
func FuzzPlanBodies(f *testing.F)         { fuzzBodies(f, "plans") }
func FuzzSubscriptionBodies(f *testing.F) { fuzzBodies(f, "subscriptions") }
func FuzzBillingBodies(f *testing.F)      { fuzzBodies(f, "billing") }
func FuzzWebhookBodies(f *testing.F)      { fuzzBodies(f, "webhooks") }
func FuzzProjectBodies(f *testing.F)      { fuzzBodies(f, "project") }
func FuzzPaymentBodies(f *testing.F)      { fuzzBodies(f, "payments") }
func FuzzPortingBodies(f *testing.F)      { fuzzBodies(f, "portings") }
func FuzzDeviceBodies(f *testing.F)       { fuzzBodies(f, "devices") }
func FuzzPortOutBodies(f *testing.F)      { fuzzBodies(f, "portOuts") }
func FuzzTestingBodies(f *testing.F)      { fuzzBodies(f, "testing") }
func FuzzAPIKeyBodies(f *testing.F)       { fuzzBodies(f, "apiKeys") }
func FuzzChangeBodies(f *testing.F)       { fuzzBodies(f, "changes") }
func FuzzUsageBodies(f *testing.F)        { fuzzBodies(f, "usage") }
func FuzzConnectBodies(f *testing.F)      { fuzzBodies(f, "connect") }

// FuzzPathIDs puts any string in the last id of a route's path (escaped,
// so NUL and bytes that are not UTF-8 arrive as such), with the route's
// valid body.
func FuzzPathIDs(f *testing.F) {
	worlds := fuzzWorlds(f)
	routes := append(writeRoutes(worlds[0].db), readRoutes(worlds[0].db)...)
	for i, r := range routes {
		f.Add(uint8(i), lastParam(worlds[0], r))
		f.Add(uint8(i), "usr_0000000000000000000000")
		f.Add(uint8(i), "a\x00b")
		f.Add(uint8(i), "\xff")
	}
	f.Fuzz(func(t *testing.T, route uint8, id string) {
		r := routes[int(route)%len(routes)]
		method, pattern, _ := strings.Cut(r, " ")
		for _, fw := range worlds {
			path := fw.path(t, pattern)
			if i := strings.LastIndex(pattern, "/{"); i >= 0 && strings.HasSuffix(pattern[i:], "}") {
				path = path[:strings.LastIndex(path, "/")+1] + url.PathEscape(id)
			} else {
				path += "/" + url.PathEscape(id)
			}
			fw.send(t, method, path, rawBody(t, fw.bodies[r]))
		}
	})
}

// FuzzQueries sends any raw query string to every route, writes with
// their valid body.
func FuzzQueries(f *testing.F) {
	worlds := fuzzWorlds(f)
	routes := append(readRoutes(worlds[0].db), writeRoutes(worlds[0].db)...)
	// Every route once without a query, and each query once on some route:
	// a seed per pair would make the baseline alone outlast a short run.
	queries := []string{"limit=5", "limit=-1", "after=usr_0352NYRCvrHj7Rfppaz3Oz", "after=x&before=y", "status=active", "x=%00", "a=%ff", "%zz"}
	for i := range routes {
		f.Add(uint8(i), "")
		f.Add(uint8(i), queries[i%len(queries)])
	}
	f.Fuzz(func(t *testing.T, route uint8, rawQuery string) {
		for _, c := range []byte(rawQuery) {
			if c <= ' ' || c > '~' || c == '#' {
				return // not a query string a client sends: it would escape these
			}
		}
		r := routes[int(route)%len(routes)]
		method, pattern, _ := strings.Cut(r, " ")
		for _, fw := range worlds {
			fw.send(t, method, fw.path(t, pattern)+"?"+rawQuery, rawBody(t, fw.bodies[r]))
		}
	})
}

// readRoutes lists the GET routes under a project.
func readRoutes(db *store.DB) []string {
	var out []string
	for _, r := range apiRoutes(db) {
		if strings.HasPrefix(r, http.MethodGet+" ") && strings.Contains(r, "{project}") {
			out = append(out, r)
		}
	}
	return out
}

// lastParam is the id a writeWorld puts in a route's last parameter.
func lastParam(fw *fuzzWorld, route string) string {
	i := strings.LastIndex(route, "{")
	if i < 0 {
		return ""
	}
	return fw.params[strings.TrimSuffix(route[i+1:], "}")]
}
