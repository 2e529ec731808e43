package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testProjectCreate: `project create` prints one JSON object whose key works
// against a server on the same database, and refuses a duplicate id.
func testProjectCreate(t *testing.T, bin string) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "cellgate.db")
	env := childEnv()
	stdout, stderr, code := run(t, bin, env, dir, "project", "create", "acme", "--type", "live", "--name", "Acme", "--billing", "--database", db)
	if code != 0 {
		t.Fatalf("project create: exit %d\n%s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var created struct {
		Object   string          `json:"object"`
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Type     string          `json:"type"`
		Billing  json.RawMessage `json:"billing"`
		APIKey   string          `json:"apiKey"`
		APIKeyID string          `json:"apiKeyId"`
	}
	if err := dec.Decode(&created); err != nil {
		t.Fatalf("project create output is not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Errorf("project create printed more than one JSON value:\n%s", stdout)
	}
	if created.Object != "project" || created.ID != "acme" || created.Name != "Acme" || created.Type != "live" {
		t.Errorf("created project = %+v", created)
	}
	if len(created.Billing) == 0 || string(created.Billing) == "null" {
		t.Errorf("--billing gave billing %s, want the default settings", created.Billing)
	}
	if !strings.HasPrefix(created.APIKey, "cgk_") || !strings.HasPrefix(created.APIKeyID, "apk_") {
		t.Errorf("apiKey %q / apiKeyId %q lack their prefixes", created.APIKey, created.APIKeyID)
	}

	srv := start(t, bin, env, "serve", "--addr", "127.0.0.1:0", "--database", db)
	base := srv.listenURL(15 * time.Second)
	waitHealthy(t, base)
	status, project := seedRequest(t, "GET", base+"/projects/acme", created.APIKey, "")
	if status != http.StatusOK || project["id"] != "acme" || project["type"] != "live" || project["billing"] == nil {
		t.Errorf("GET /projects/acme with the new key: %d %v", status, project)
	}
	// Without --demo no demo project appears.
	if status, _ := seedRequest(t, "GET", base+"/projects/demo/plans", created.APIKey, ""); status != http.StatusNotFound {
		t.Errorf("GET /projects/demo/plans with acme's key: %d, want 404", status)
	}

	// The database may also come from the environment.
	_, stderr, code = run(t, bin, childEnv("CELLGATE_DATABASE_URL="+db), dir, "project", "create", "acme")
	if code == 0 || !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate project create: exit %d, stderr %q; want a non-zero exit naming the conflict", code, stderr)
	}
	srv.terminate()
}

// testMigrate: migrate creates the schema, is idempotent, and honours the
// flag, the environment and the documented default, in that order.
func testMigrate(t *testing.T, bin string) {
	dir := t.TempDir()
	cases := []struct {
		name string
		env  []string
		args []string
		file string
	}{
		{"default path in the working directory", nil, nil, "cellgate.db"},
		{"environment", []string{"CELLGATE_DATABASE_URL=sqlite:" + filepath.Join(dir, "env.db")}, nil, "env.db"},
		{"flag wins over environment", []string{"CELLGATE_DATABASE_URL=sqlite:" + filepath.Join(dir, "unused.db")},
			[]string{"--database", "sqlite:" + filepath.Join(dir, "flag.db")}, "flag.db"},
	}
	for _, c := range cases {
		for range 2 { // the second run finds nothing to do
			stdout, stderr, code := run(t, bin, childEnv(c.env...), dir, append([]string{"migrate"}, c.args...)...)
			if code != 0 || stdout != "migrations applied\n" {
				t.Fatalf("%s: migrate: exit %d, stdout %q, stderr %s", c.name, code, stdout, stderr)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, c.file)); err != nil {
			t.Errorf("%s: %s was not created: %v", c.name, c.file, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "unused.db")); err == nil {
		t.Errorf("--database did not take precedence over CELLGATE_DATABASE_URL")
	}
	_, stderr, code := run(t, bin, childEnv(), dir, "migrate", "--database", "mysql://localhost/x")
	if code != 1 || !strings.Contains(stderr, "unsupported database URL") {
		t.Errorf("migrate with a mysql URL: exit %d, stderr %q", code, stderr)
	}
}

// testCommandLine: every command refuses an argument it does not take
// (exit 2, naming it and where the help is) instead of dropping the flags
// after it, before it touches any database; help and --version work; the
// top-level usage lists every command and how to get its flags.
func testCommandLine(t *testing.T, bin string) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "named.db")
	stray := func(cmd string) string {
		return `cellgate ` + cmd + `: unexpected argument "oops" (run "cellgate ` + cmd + ` -h" for its usage)`
	}
	var everyCommand []string
	for _, c := range commands {
		everyCommand = append(everyCommand, "cellgate "+c.name)
	}
	for _, c := range []struct {
		args   []string
		code   int
		stdout []string // substrings
		stderr []string
		exact  bool // stdout is exactly stdout[0]
	}{
		{args: []string{"version"}, stdout: []string{"cellgate " + e2eVersion + "\n"}, exact: true},
		{args: []string{"--version"}, stdout: []string{"cellgate " + e2eVersion + "\n"}, exact: true},
		{args: []string{"-version"}, stdout: []string{"cellgate " + e2eVersion + "\n"}, exact: true},
		{args: []string{"help"}, stdout: append(everyCommand, `"cellgate COMMAND -h"`, "cellgate help [COMMAND]")},
		{args: []string{"-h"}, stdout: everyCommand},
		{args: []string{"--help"}, stdout: everyCommand},
		{args: nil, code: 2, stderr: append(everyCommand, "Usage:")},
		{args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`}},
		{args: []string{"help", "frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`}},

		// Each command's help, asked for either way, on standard output.
		{args: []string{"help", "serve"}, stdout: []string{"Usage: cellgate serve [flags]", "-addr", "-webhooks-timeout"}},
		{args: []string{"serve", "-h"}, stdout: []string{"Usage: cellgate serve [flags]", "-database"}},
		{args: []string{"migrate", "--help"}, stdout: []string{"Usage: cellgate migrate [flags]", "-database"}},
		{args: []string{"project", "create", "-h"}, stdout: []string{"Usage: cellgate project create ID [flags]", "-billing"}},
		{args: []string{"help", "project", "create"}, stdout: []string{"-billing", "-type"}},
		{args: []string{"help", "project"}, stdout: []string{"cellgate project create ID"}},
		{args: []string{"help", "clock", "advance"}, stdout: []string{"-by", "-to"}},
		{args: []string{"help", "bench"}, stdout: []string{"cellgate bench http", "cellgate bench bare", "cellgate bench seed", "cellgate bench usage"}},
		{args: []string{"help", "bench", "http"}, stdout: []string{"-concurrency"}},
		{args: []string{"help", "version"}, stdout: []string{"Usage: cellgate version"}},

		// A stray argument, before or after the flags, on every command.
		{args: []string{"serve", "oops", "--addr", "127.0.0.1:0", "--database", db}, code: 2, stderr: []string{stray("serve")}},
		{args: []string{"serve", "--addr", "127.0.0.1:0", "--database", db, "oops"}, code: 2, stderr: []string{stray("serve")}},
		{args: []string{"migrate", "oops", "--database", db}, code: 2, stderr: []string{stray("migrate")}},
		{args: []string{"project", "create", "acme", "oops", "--database", db}, code: 2, stderr: []string{stray("project create")}},
		{args: []string{"project", "create", "--database", db, "acme", "oops"}, code: 2, stderr: []string{stray("project create")}},
		{args: []string{"clock", "advance", "demo", "oops", "--by", "1h", "--database", db}, code: 2, stderr: []string{stray("clock advance")}},
		{args: []string{"bench", "http", "oops", "--database", db}, code: 2, stderr: []string{stray("bench http")}},
		{args: []string{"bench", "bare", "oops", "--addr", "127.0.0.1:0", "--database", db}, code: 2, stderr: []string{stray("bench bare")}},
		{args: []string{"bench", "seed", "oops", "--url", "http://127.0.0.1:9", "--project", "p"}, code: 2, stderr: []string{stray("bench seed")}},
		{args: []string{"bench", "usage", "oops"}, code: 2, stderr: []string{stray("bench usage")}},
		{args: []string{"bench", "usage", "--only", "everything"}, code: 2, stderr: []string{"--only takes ingest, get and year"}},
		{args: []string{"version", "oops"}, code: 2, stderr: []string{stray("version")}},
		{args: []string{"help", "serve", "oops"}, code: 2, stderr: []string{stray("serve")}},

		// Other wrong command lines are usage errors too.
		{args: []string{"serve", "--nope"}, code: 2, stderr: []string{"flag provided but not defined: -nope", `"cellgate serve -h"`}},
		{args: []string{"project"}, code: 2, stderr: []string{"missing subcommand (create)"}},
		{args: []string{"project", "delete", "acme"}, code: 2, stderr: []string{`unknown subcommand "delete"`, `"cellgate project -h"`}},
		{args: []string{"project", "create", "--type", "live"}, code: 2, stderr: []string{"missing the project ID"}},
		{args: []string{"clock"}, code: 2, stderr: []string{"missing subcommand (advance)"}},
		{args: []string{"clock", "advance", "demo", "--database", db}, code: 2, stderr: []string{"give exactly one of --to and --by"}},
		{args: []string{"clock", "advance", "demo", "--to", "2031-02-01", "--database", db}, code: 2, stderr: []string{`"2031-02-01T00:00:00Z"`}},
		{args: []string{"clock", "advance", "demo", "--by", "1 month", "--database", db}, code: 2, stderr: []string{`"1mo"`, `"P1M"`}},
		{args: []string{"bench"}, code: 2, stderr: []string{"missing subcommand (bare, http, seed, usage)"}},
		{args: []string{"bench", "seed"}, code: 2, stderr: []string{"--url and --project are required"}},

		// A well-formed command line that fails is status 1.
		{args: []string{"serve", "--log-level", "loud", "--database", db}, code: 1, stderr: []string{"--log-level"}},
	} {
		stdout, stderr, code := run(t, bin, childEnv(), dir, c.args...)
		if code != c.code {
			t.Errorf("cellgate %q: exit %d, want %d (stderr %q)", c.args, code, c.code, stderr)
		}
		for _, want := range c.stdout {
			if c.exact && stdout != want || !strings.Contains(stdout, want) {
				t.Errorf("cellgate %q: stdout %q, want it to contain %q", c.args, stdout, want)
			}
		}
		for _, want := range c.stderr {
			if !strings.Contains(stderr, want) {
				t.Errorf("cellgate %q: stderr %q, want it to contain %q", c.args, stderr, want)
			}
		}
		if c.code == 0 && stderr != "" {
			t.Errorf("cellgate %q: stderr %q, want nothing", c.args, stderr)
		}
	}
	// No wrong command line reached a database, the named one or the default.
	if dbs, _ := filepath.Glob(filepath.Join(dir, "*.db*")); len(dbs) > 0 {
		t.Errorf("wrong command lines created %v", dbs)
	}
}
