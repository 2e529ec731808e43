package operators_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"cellgate/internal/errs"
	"cellgate/internal/operators"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestTOTPCodeIsNeededOnceEnabledAndWorksOnce: with TOTP on, the password
// alone, a wrong code or an old code fail like a wrong password (and count
// towards throttling); a current code opens a session once; turning it
// off brings back password-only logins.
func TestTOTPCodeIsNeededOnceEnabledAndWorksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		op := newOperator(t, db, "totp@example.com", "acme", operators.Owner)
		var enrolled *operators.TOTPEnrollment
		mustTx(t, db, func(tx *store.Tx) (err error) {
			enrolled, err = operators.EnableTOTP(ctx, tx, op)
			return err
		})
		u, err := url.Parse(enrolled.URI)
		if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != enrolled.Secret || u.Query().Get("issuer") != "cellgate" {
			t.Fatalf("enrollment URI %q", enrolled.URI)
		}
		now := time.Date(2030, 1, 7, 9, 0, 10, 0, time.UTC)
		code := func(at time.Time) string {
			c, err := totp.GenerateCodeCustom(enrolled.Secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		for _, c := range []struct{ name, code string }{
			{"no code", ""},
			{"a wrong code", wrongCode(code(now))},
			{"a code of five minutes ago", code(now.Add(-5 * time.Minute))},
		} {
			if _, err := operators.Login(ctx, db, "totp@example.com", password, c.code, now); !errs.IsKind(err, errs.KindUnauthenticated) {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		var failures int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM operator_login_failures`).Scan(&failures); err != nil || failures != 3 {
			t.Fatalf("%d failures counted (%v), want 3", failures, err)
		}
		current := code(now)
		if _, err := operators.Login(ctx, db, "totp@example.com", password, current, now); err != nil {
			t.Fatalf("a current code: %v", err)
		}
		if _, err := operators.Login(ctx, db, "totp@example.com", password, current, now.Add(5*time.Second)); !errs.IsKind(err, errs.KindUnauthenticated) {
			t.Fatalf("the same code a second time: %v", err)
		}
		if _, err := operators.Login(ctx, db, "totp@example.com", password, code(now.Add(30*time.Second)), now.Add(30*time.Second)); err != nil {
			t.Fatalf("the next step's code: %v", err)
		}
		mustTx(t, db, func(tx *store.Tx) error { return operators.DisableTOTP(ctx, tx, op.ID) })
		if _, err := operators.Login(ctx, db, "totp@example.com", password, "", now.Add(time.Minute)); err != nil {
			t.Fatalf("password only after TOTP is off: %v", err)
		}
	})
}

// wrongCode is a code of six digits that is not c.
func wrongCode(c string) string {
	n, _ := strconv.Atoi(c)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

func mustTx(t *testing.T, db *store.DB, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := db.InTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}
