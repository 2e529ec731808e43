package operators

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"cellgate/internal/store"
)

// Optional TOTP (RFC 6238: 6 digits, 30-second steps, SHA-1, as every
// authenticator app reads an otpauth:// URI). An operator with a secret
// logs in with the password and a current code; a code is accepted once,
// and a wrong or missing one counts as a failed login.

// totpStep is the length of a TOTP time step.
const totpStep = 30

// TOTPEnrollment is what an operator scans into an authenticator app.
type TOTPEnrollment struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
}

// EnableTOTP gives the operator a new TOTP secret, replacing any former
// one; from now on a login needs a code.
func EnableTOTP(ctx context.Context, tx *store.Tx, op *Operator) (*TOTPEnrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "cellgate", AccountName: op.Email, Period: totpStep, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("operators: totp secret: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE operators SET totp_secret = ?, totp_last_step = NULL WHERE id = ?`, key.Secret(), op.ID); err != nil {
		return nil, fmt.Errorf("operators: enable totp: %w", err)
	}
	return &TOTPEnrollment{Secret: key.Secret(), URI: key.URL()}, nil
}

// DisableTOTP removes the operator's TOTP secret.
func DisableTOTP(ctx context.Context, tx *store.Tx, operatorID string) error {
	_, err := tx.Exec(ctx, `UPDATE operators SET totp_secret = NULL, totp_last_step = NULL WHERE id = ?`, operatorID)
	return err
}

// totpStepOf is the step of a code valid at now for secret: the current
// step or one either side (clock drift); ok false when none matches.
func totpStepOf(secret, code string, now time.Time) (step int64, ok bool) {
	for _, skew := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(skew*totpStep) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: totpStep, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && len(code) == len(want) && subtle.ConstantTimeCompare([]byte(code), []byte(want)) == 1 {
			return at.Unix() / totpStep, true
		}
	}
	return 0, false
}

// useTOTP accepts code for the operator: it must match a step later than
// the last one used, and the step is recorded in the same statement, so of
// two logins with one code only one gets through.
func useTOTP(ctx context.Context, tx *store.Tx, operatorID string, secret sql.NullString, code string, now time.Time) (bool, error) {
	if !secret.Valid {
		return true, nil
	}
	step, ok := totpStepOf(secret.String, code, now)
	if !ok {
		return false, nil
	}
	res, err := tx.Exec(ctx, `UPDATE operators SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)`,
		step, operatorID, step)
	if err != nil {
		return false, fmt.Errorf("operators: use totp: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
