package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"cellgate/internal/operators"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestLoginFormAsksForTheTOTPCode: an operator with TOTP on logs in
// through the form only with a current code in its "code" field.
func TestLoginFormAsksForTheTOTPCode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		email := w.operator("acme", operators.Owner)
		var enrolled *operators.TOTPEnrollment
		if err := db.InTx(context.Background(), func(tx *store.Tx) error {
			op, err := operators.FindByEmail(context.Background(), tx, email)
			if err != nil {
				return err
			}
			enrolled, err = operators.EnableTOTP(context.Background(), tx, op)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		b := w.anonymous()
		form := b.get("/console/login").expect(http.StatusOK)
		if !strings.Contains(form.body, `name="code"`) {
			t.Fatalf("the login form has no code field: %s", form.body)
		}
		if p := b.loginAs(email, password, http.StatusUnauthorized); !strings.Contains(p.body, "authentication code") {
			t.Fatalf("password alone: %s", p.body)
		}
		code, err := totp.GenerateCode(enrolled.Secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		form = b.get("/console/login").expect(http.StatusOK)
		p := b.postRaw("/console/login", url.Values{"csrf": {form.csrf()}, "email": {email}, "password": {password}, "code": {code}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("password and code: %d %s", p.status, p.body)
		}
		b.get("/console/p/acme/").expect(http.StatusOK)
	})
}
