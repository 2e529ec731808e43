package demo

import (
	"context"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/operators"
	"cellgate/internal/secret"
	"cellgate/internal/store"
)

// OperatorEmail is the demo console operator's login.
const OperatorEmail = "demo@cellgate.example"

// EnsureOperator makes sure the demo operator exists as an owner of the
// demo project and sets its password: password when given
// (CELLGATE_DEMO_PASSWORD), otherwise a new random one, since stored
// passwords are hashes and cannot be shown again. It returns the password.
func EnsureOperator(ctx context.Context, db *store.DB, password string) (string, error) {
	if password == "" {
		password = secret.Token(20)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now()
		op, err := operators.FindByEmail(ctx, tx, OperatorEmail)
		if errs.IsKind(err, errs.KindNotFound) {
			op, err = operators.Create(ctx, tx, OperatorEmail, password, now)
		} else if err == nil {
			err = operators.SetPassword(ctx, tx, op.ID, password)
		}
		if err != nil {
			return err
		}
		return operators.Grant(ctx, tx, op.ID, ProjectID, operators.Owner, now)
	})
	return password, err
}
