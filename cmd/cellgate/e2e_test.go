package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBinary drives the real cellgate binary the way the README tells a
// newcomer to: serve --demo, the quickstart requests, project create,
// migrate and version.
func TestBinary(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	t.Run("serve demo on sqlite", func(t *testing.T) {
		t.Parallel()
		testServeDemo(t, bin, "sqlite:"+filepath.Join(t.TempDir(), "cellgate.db"))
	})
	if pg := os.Getenv("CELLGATE_TEST_DATABASE_URL"); pg != "" {
		t.Run("serve demo on postgres", func(t *testing.T) {
			t.Parallel()
			testServeDemo(t, bin, postgresSchema(t, pg))
		})
	}
	t.Run("project create", func(t *testing.T) {
		t.Parallel()
		testProjectCreate(t, bin)
	})
	t.Run("migrate", func(t *testing.T) {
		t.Parallel()
		testMigrate(t, bin)
	})
	t.Run("command line", func(t *testing.T) {
		t.Parallel()
		testCommandLine(t, bin)
	})
}

// The bodies of seed 002's requests, byte for byte as curl --data sends them.
const (
	seedUserBody = `{
"email": "jerry@example.com",
"fullName": "Jerry Seinfeld"
}`
	seedAddressBody = `{
"line1": "129 West 81st Street",
"line2": "Apartment 5",
"city": "New York City",
"state": "NY",
"postalCode": "10024",
"country": "US"
}`
)

var timestampPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// seedRequest sends a request with exactly the headers of the seed's curl
// commands: Accept, Authorization and, with a body, Content-Type.
func seedRequest(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: response is not a JSON object: %v\n%s", method, url, err, raw)
	}
	return resp.StatusCode, out
}

// expectFields compares top-level fields of a decoded response.
func expectFields(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s.%s = %#v, want %#v", what, k, got[k], w)
		}
	}
}

func testServeDemo(t *testing.T, bin, dbURL string) {
	key := "cgk_e2e_" + randomHex(t, 12)
	env := childEnv("CELLGATE_DEMO_API_KEY="+key, "CELLGATE_DATABASE_URL="+dbURL)
	srv := start(t, bin, env, "serve", "--demo", "--addr", "127.0.0.1:0")
	out := srv.waitStdout("Authorization: Bearer $GIGS_TOKEN", 15*time.Second)
	base := regexp.MustCompile(`export CELLGATE_URL=(http://127\.0\.0\.1:\d+)\n`).FindStringSubmatch(out)
	if base == nil {
		t.Fatalf("serve --demo did not print CELLGATE_URL:\n%s", out)
	}
	for _, want := range []string{
		"export GIGS_PROJECT=demo\n",
		"export GIGS_TOKEN=" + key + "\n",
		`curl -s "$CELLGATE_URL/projects/$GIGS_PROJECT/plans?simType=eSIM"`,
		`--header "Accept: application/json"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --demo output lacks %q:\n%s", want, out)
		}
	}
	url := base[1]
	health := waitHealthy(t, url)
	if health["version"] != e2eVersion {
		t.Errorf("/healthz version = %v, want %s", health["version"], e2eVersion)
	}

	userID := replaySeed002(t, url+"/projects/demo", key)
	checkOperatorEndpoints(t, url)
	checkDemoConsole(t, url, srv.waitStdout("(a new password at every start", 15*time.Second))
	plansBefore := planIDs(t, url, key)
	if len(plansBefore) != 3 {
		t.Errorf("the demo project has %d plans, want 3", len(plansBefore))
	}

	srv.terminate()
	if logs := srv.logLines(); len(logs) == 0 || logs[len(logs)-1]["msg"] != "stopped" {
		t.Errorf("after SIGTERM the log does not end with msg stopped:\n%s", srv.stderr.String())
	}

	// A second start on the same database finds the demo project: same
	// key, same catalog, the user still there. It listens on every
	// address and still prints a URL that can be pasted.
	srv = start(t, bin, env, "serve", "--demo", "--addr", "0.0.0.0:0")
	out = srv.waitStdout("Authorization: Bearer $GIGS_TOKEN", 15*time.Second)
	if !regexp.MustCompile(`export CELLGATE_URL=http://127\.0\.0\.1:\d+\n`).MatchString(out) {
		t.Errorf("serve --addr 0.0.0.0:0 printed no pasteable URL:\n%s", out)
	}
	if !strings.Contains(out, "export GIGS_TOKEN="+key+"\n") {
		t.Errorf("restart printed another key:\n%s", out)
	}
	url = regexp.MustCompile(`export CELLGATE_URL=(http://127\.0\.0\.1:\d+)\n`).FindStringSubmatch(out)[1]
	waitHealthy(t, url)
	if after := planIDs(t, url, key); !slices.Equal(after, plansBefore) {
		t.Errorf("plans after restart = %v, want the same as before %v", after, plansBefore)
	}
	if status, user := seedRequest(t, "GET", url+"/projects/demo/users/"+userID, key, ""); status != http.StatusOK || user["email"] != "jerry@example.com" {
		t.Errorf("user after restart: %d %v", status, user)
	}
	srv.terminate()
}

// replaySeed002 runs the guide's user, plan-list and address requests and
// returns the user's id.
func replaySeed002(t *testing.T, project, token string) string {
	t.Helper()
	status, user := seedRequest(t, "POST", project+"/users", token, seedUserBody)
	if status != http.StatusCreated {
		t.Fatalf("create user: status %d: %v", status, user)
	}
	expectFields(t, "user", user, map[string]any{"object": "user", "email": "jerry@example.com", "fullName": "Jerry Seinfeld",
		"emailVerified": false, "preferredLocale": "en-US", "birthday": nil})
	userID, _ := user["id"].(string)
	if !strings.HasPrefix(userID, "usr_") {
		t.Fatalf("user id %q lacks usr_", userID)
	}
	if c, _ := user["createdAt"].(string); !timestampPattern.MatchString(c) {
		t.Errorf("user.createdAt = %q, want RFC 3339 UTC with seconds", c)
	}

	status, plans := seedRequest(t, "GET", project+"/plans?simType=eSIM", token, "")
	if status != http.StatusOK || plans["object"] != "list" {
		t.Fatalf("list plans: status %d: %v", status, plans)
	}
	items, _ := plans["items"].([]any)
	var global map[string]any
	for _, it := range items {
		p := it.(map[string]any)
		if !slices.Contains(p["simTypes"].([]any), any("eSIM")) {
			t.Errorf("plan %v in the eSIM list lacks eSIM", p["name"])
		}
		if p["name"] == "Gigs Global" {
			global = p
		}
	}
	if global == nil {
		t.Fatalf("no Gigs Global plan among the eSIM plans: %v", items)
	}
	expectFields(t, "plan", global, map[string]any{"object": "plan", "provider": "p9", "status": "available"})
	if req := global["requirements"].(map[string]any); req["address"] != "present" {
		t.Errorf("Gigs Global requirements = %v, want address present", req)
	}
	if a := global["allowances"].(map[string]any); a["dataBytes"] != 1e10 || a["voiceSeconds"] != 30000.0 || a["smsMessages"] != 100.0 {
		t.Errorf("Gigs Global allowances = %v", a)
	}

	status, addr := seedRequest(t, "POST", project+"/users/"+userID+"/addresses", token, seedAddressBody)
	if status != http.StatusCreated {
		t.Fatalf("create address: status %d: %v", status, addr)
	}
	expectFields(t, "address", addr, map[string]any{"object": "userAddress", "city": "New York City", "country": "US",
		"line1": "129 West 81st Street", "line2": "Apartment 5", "postalCode": "10024", "state": "NY", "user": userID})
	if id, _ := addr["id"].(string); !strings.HasPrefix(id, "adr_") {
		t.Errorf("address id %q lacks adr_", id)
	}
	return userID
}

// checkOperatorEndpoints covers what a load balancer and a monitoring
// system read.
func checkOperatorEndpoints(t *testing.T, base string) {
	t.Helper()
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("/readyz"); status != http.StatusOK {
		t.Errorf("/readyz = %d %s, want 200", status, body)
	}
	// The user created by the quickstart is counted under its route.
	if _, body := get("/metrics"); !strings.Contains(body, `cellgate_http_requests_total{code="201",route="POST /projects/{project}/users"} 1`) {
		t.Errorf("/metrics does not count the user creation:\n%s", body)
	}
	status, body := get("/openapi.json")
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal([]byte(body), &doc); status != http.StatusOK || err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("/openapi.json = %d, openapi %q, error %v; want 200 and 3.1.x", status, doc.OpenAPI, err)
	}
}

// planIDs lists every plan id of the demo project.
func planIDs(t *testing.T, base, key string) []string {
	t.Helper()
	status, list := seedRequest(t, "GET", base+"/projects/demo/plans?limit=200", key, "")
	if status != http.StatusOK {
		t.Fatalf("list plans: %d %v", status, list)
	}
	var ids []string
	for _, it := range list["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	return ids
}

// checkDemoConsole logs in to the console with what serve --demo printed
// and opens the demo project's overview.
func checkDemoConsole(t *testing.T, base, out string) {
	t.Helper()
	login := regexp.MustCompile(`open (http://\S+)/console/ and log in as\s+email:\s+(\S+)\s+password:\s+(\S+)`).FindStringSubmatch(out)
	if login == nil || login[1] != base {
		t.Fatalf("serve --demo did not print how to log in to the console:\n%s", out)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(form)
	if token == nil {
		t.Fatalf("no login form: %s", form)
	}
	resp, err = client.PostForm(base+"/console/login", url.Values{"csrf": {string(token[1])}, "email": {login[2]}, "password": {login[3]}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/p/demo/" || !strings.Contains(string(page), "Overview") {
		t.Fatalf("console login with the printed password: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}
