package operators_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/operators"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

const password = "correct horse battery staple"

// newOperator makes project p and an operator with role in it.
func newOperator(t *testing.T, db *store.DB, email, p string, role operators.Role) *operators.Operator {
	t.Helper()
	var op *operators.Operator
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		now := time.Now()
		if _, err := projects.Get(context.Background(), tx, p); errs.IsKind(err, errs.KindNotFound) {
			if _, err := projects.Create(context.Background(), tx, projects.CreateInput{ID: p, Type: projects.TypeTest}, now); err != nil {
				return err
			}
		}
		var err error
		if op, err = operators.Create(context.Background(), tx, email, password, now); err != nil {
			return err
		}
		return operators.Grant(context.Background(), tx, op.ID, p, role, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func TestPasswordIsStoredAsSaltedArgon2id(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newOperator(t, db, "a@example.com", "acme", operators.Owner)
		b := newOperator(t, db, "b@example.com", "acme", operators.Support)
		hashes := map[string]string{}
		for _, id := range []string{a.ID, b.ID} {
			var h string
			if err := db.QueryRow(context.Background(), `SELECT password_hash FROM operators WHERE id = ?`, id).Scan(&h); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, password) {
				t.Fatalf("stored hash %q is not an argon2id PHC string", h)
			}
			hashes[id] = h
		}
		if hashes[a.ID] == hashes[b.ID] {
			t.Fatal("two operators with one password have the same hash: no salt")
		}
	})
}

func TestLoginOpensASessionWithTheOperatorsRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, now := context.Background(), time.Now()
		op := newOperator(t, db, "Owner@Example.com", "acme", operators.Developer)
		token, err := operators.Login(ctx, db, "owner@example.com", password, "", now)
		if err != nil {
			t.Fatal(err)
		}
		s, err := operators.Lookup(ctx, db, token, now)
		if err != nil {
			t.Fatal(err)
		}
		if s.Operator.ID != op.ID || s.Roles["acme"] != operators.Developer || len(s.CSRF) < 32 {
			t.Fatalf("session = %+v", s)
		}
		var stored string
		if err := db.QueryRow(ctx, `SELECT token_hash FROM operator_sessions`).Scan(&stored); err != nil || stored == token {
			t.Fatalf("the session table holds %q (err %v); want the token's hash", stored, err)
		}
		if _, err := operators.Lookup(ctx, db, token, now.Add(operators.SessionTTL+time.Second)); !errs.IsKind(err, errs.KindUnauthenticated) {
			t.Fatalf("an expired session: %v", err)
		}
		if err := operators.Logout(ctx, db, token); err != nil {
			t.Fatal(err)
		}
		if _, err := operators.Lookup(ctx, db, token, now); !errs.IsKind(err, errs.KindUnauthenticated) {
			t.Fatalf("a session after logout: %v", err)
		}
	})
}

// TestWrongPasswordAndUnknownEmailAnswerAlike: a login never tells which
// emails have accounts.
func TestWrongPasswordAndUnknownEmailAnswerAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newOperator(t, db, "a@example.com", "acme", operators.Owner)
		_, wrong := operators.Login(context.Background(), db, "a@example.com", "not the password", "", time.Now())
		_, unknown := operators.Login(context.Background(), db, "nobody@example.com", password, "", time.Now())
		if wrong == nil || unknown == nil || wrong.Error() != unknown.Error() {
			t.Fatalf("wrong password: %v; unknown email: %v", wrong, unknown)
		}
	})
}

// TestLoginThrottledAfterFiveFailuresPerEmail: the sixth try within the
// window is refused even with the right password, other emails are not
// affected, and the window passing lifts it.
func TestLoginThrottledAfterFiveFailuresPerEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, now := context.Background(), time.Now()
		newOperator(t, db, "a@example.com", "acme", operators.Owner)
		newOperator(t, db, "b@example.com", "acme", operators.Owner)
		for i := range operators.MaxFailures {
			if _, err := operators.Login(ctx, db, "A@example.com", "guess", "", now.Add(time.Duration(i)*time.Second)); !errs.IsKind(err, errs.KindUnauthenticated) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, err := operators.Login(ctx, db, "a@example.com", password, "", now.Add(10*time.Second)); err != operators.ErrThrottled {
			t.Fatalf("right password after %d failures: %v, want throttled", operators.MaxFailures, err)
		}
		if _, err := operators.Login(ctx, db, "b@example.com", password, "", now.Add(10*time.Second)); err != nil {
			t.Fatalf("another email: %v", err)
		}
		if _, err := operators.Login(ctx, db, "a@example.com", password, "", now.Add(operators.FailureWindow+5*time.Second)); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestRolesAreChecked(t *testing.T) {
	for _, c := range []struct {
		role        string
		ok, secrets bool
	}{{"owner", true, true}, {"developer", true, true}, {"support", true, false}, {"admin", false, false}, {"", false, false}} {
		r, err := operators.ParseRole(c.role)
		if (err == nil) != c.ok || (c.ok && r.SeesCredentials() != c.secrets) {
			t.Errorf("role %q: %v, sees credentials %v", c.role, err, r.SeesCredentials())
		}
	}
}
