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

func testVersionAndUsage(t *testing.T, bin string) {
	dir := t.TempDir()
	for _, c := range []struct {
		args       []string
		code       int
		stdout     string // substring; exact for version
		stderr     string
		exactStdio bool
	}{
		{args: []string{"version"}, code: 0, stdout: "cellgate " + e2eVersion + "\n", exactStdio: true},
		{args: []string{"help"}, code: 0, stdout: "cellgate serve"},
		{args: nil, code: 2, stderr: "Usage:"},
		{args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{args: []string{"serve", "--log-level", "loud"}, code: 1, stderr: "--log-level"},
		{args: []string{"project", "create", "-h"}, code: 0, stderr: "-billing"},
		{args: []string{"project", "create", "--type", "live"}, code: 1, stderr: "the project ID comes first"},
	} {
		stdout, stderr, code := run(t, bin, childEnv(), dir, c.args...)
		if code != c.code {
			t.Errorf("cellgate %v: exit %d, want %d (stderr %q)", c.args, code, c.code, stderr)
		}
		if c.exactStdio && stdout != c.stdout || !strings.Contains(stdout, c.stdout) {
			t.Errorf("cellgate %v: stdout %q, want %q", c.args, stdout, c.stdout)
		}
		if !strings.Contains(stderr, c.stderr) {
			t.Errorf("cellgate %v: stderr %q, want it to contain %q", c.args, stderr, c.stderr)
		}
	}
}
