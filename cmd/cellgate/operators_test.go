package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"cellgate/internal/operators"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestOperatorCreateGivesALoginAndARole: the first operator of a project
// gets a generated password, shown once, that logs in; a second run for
// the same email changes its role and keeps its password.
func TestOperatorCreateGivesALoginAndARole(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := projects.Create(ctx, tx, projects.CreateInput{ID: "acme", Type: projects.TypeTest}, time.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c := jsonCLI{t: t, db: db, cmd: operatorCmd}
		out := c.must("create", "ops@example.com", "--project", "acme", "--role", "owner")
		pw, _ := out["password"].(string)
		if out["created"] != true || len(pw) != 20 || !strings.HasPrefix(out["member"].(string), "mbr_") {
			t.Fatalf("operator create printed %v", out)
		}
		token, err := operators.Login(ctx, db, "ops@example.com", pw, "", time.Now())
		if err != nil {
			t.Fatalf("log in with the printed password: %v", err)
		}
		again := c.must("create", "OPS@example.com", "--project", "acme", "--role", "support")
		if again["created"] != false || again["password"] != nil || again["member"] != out["member"] {
			t.Fatalf("second operator create printed %v", again)
		}
		s, err := operators.Lookup(ctx, db, token, time.Now())
		if err != nil || s.Roles["acme"] != operators.Support {
			t.Fatalf("after the second run: %+v, %v", s, err)
		}
		for _, args := range [][]string{
			{"create", "x@example.com", "--project", "nope"},
			{"create", "x@example.com", "--project", "acme", "--role", "admin"},
			{"create", "not an email", "--project", "acme"},
		} {
			if _, err := c.run(args...); err == nil {
				t.Errorf("operator %v succeeded", args)
			}
		}
	})
}

// TestOperatorTOTPCommandTurnsCodesOnAndOff: the printed secret's codes
// log in; without one the password is refused until --disable.
func TestOperatorTOTPCommandTurnsCodesOnAndOff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mustDo(t, db.InTx(ctx, func(tx *store.Tx) error {
			_, err := projects.Create(ctx, tx, projects.CreateInput{ID: "acme", Type: projects.TypeTest}, time.Now())
			return err
		}))
		c := jsonCLI{t: t, db: db, cmd: operatorCmd}
		pw := c.must("create", "totp@example.com", "--project", "acme")["password"].(string)
		on := c.must("totp", "totp@example.com")
		secret, _ := on["secret"].(string)
		if uri, _ := on["uri"].(string); secret == "" || !strings.HasPrefix(uri, "otpauth://totp/") {
			t.Fatalf("operator totp printed %v", on)
		}
		now := time.Now()
		if _, err := operators.Login(ctx, db, "totp@example.com", pw, "", now); err == nil {
			t.Fatal("a password without a code logged in with TOTP on")
		}
		code, err := totp.GenerateCode(secret, now)
		mustDo(t, err)
		if _, err := operators.Login(ctx, db, "totp@example.com", pw, code, now); err != nil {
			t.Fatalf("a current code: %v", err)
		}
		if off := c.must("totp", "totp@example.com", "--disable"); off["totp"] != false {
			t.Fatalf("operator totp --disable printed %v", off)
		}
		if _, err := operators.Login(ctx, db, "totp@example.com", pw, "", now); err != nil {
			t.Fatalf("password only after --disable: %v", err)
		}
		if _, err := c.run("totp", "nobody@example.com"); err == nil {
			t.Error("operator totp for an unknown email succeeded")
		}
	})
}

// TestAPIKeysCommandCreatesListsAndRevokes works on the same keys as the
// API: the created secret authenticates until the revocation.
func TestAPIKeysCommandCreatesListsAndRevokes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := projects.Create(ctx, tx, projects.CreateInput{ID: "acme", Type: projects.TypeTest}, time.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c := jsonCLI{t: t, db: db, cmd: apiKeysCmd}
		k := c.must("create", "nightly export", "--project", "acme")
		secret, id := k["secret"].(string), k["id"].(string)
		if _, err := projects.LookupKey(ctx, db, secret); err != nil {
			t.Fatalf("the new key does not authenticate: %v", err)
		}
		l := items(c.must("list", "--project", "acme"))
		if len(l) != 1 || l[0].(map[string]any)["prefix"] != secret[:10] {
			t.Fatalf("list = %v", l)
		}
		if _, ok := l[0].(map[string]any)["secret"]; ok {
			t.Fatal("the list shows a secret")
		}
		if r := c.must("revoke", id, "--project", "acme"); r["revokedAt"] == nil {
			t.Fatalf("revoke printed %v", r)
		}
		if _, err := projects.LookupKey(ctx, db, secret); err == nil {
			t.Fatal("the revoked key still authenticates")
		}
		if _, err := c.run("revoke", id, "--project", "acme"); err == nil || !strings.Contains(err.Error(), "already revoked") {
			t.Fatalf("second revoke: %v", err)
		}
		if _, err := c.run("list", "--project", "nope"); err == nil {
			t.Fatal("list of a missing project succeeded")
		}
	})
}
