package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/operators"
	"cellgate/internal/projects"
	"cellgate/internal/secret"
	"cellgate/internal/store"
)

// operatorCmd manages the accounts of the operator console.
func operatorCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "operator", map[string]subcommand{
		"create": {"EMAIL --project P [--role ROLE] [--password-stdin] [flags]", operatorCreate},
		"totp":   {"EMAIL [--disable] [flags]", operatorTOTP},
	}, args, stdout)
}

// operatorAccount is what operator create prints; Password only when it
// was generated here, this once.
type operatorAccount struct {
	Member   string `json:"member"`
	Email    string `json:"email"`
	Project  string `json:"project"`
	Role     string `json:"role"`
	Created  bool   `json:"created"`
	Password string `json:"password,omitempty"`
}

// operatorCreate makes an operator account with a role in a project, or
// gives an existing account that role.
func operatorCreate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("operator create", "EMAIL --project P [--role ROLE] [--password-stdin] [flags]", stdout)
	fs.about = "Creates the console operator EMAIL with ROLE in project P and prints it as JSON, with a generated password shown only here " +
		"(or the password read from standard input with --password-stdin). An existing operator gets the role in P; its password is kept."
	project := fs.String("project", "", "the project the operator works in (required)")
	role := fs.String("role", string(operators.Owner), "owner, developer or support")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, "EMAIL")
	if err != nil {
		return err
	}
	if *project == "" {
		return usageErrorf("operator create", "--project is required")
	}
	r, err := operators.ParseRole(*role)
	if err != nil {
		return err
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	out, err := ensureOperator(ctx, db, pos[0], password, *project, r)
	if err != nil {
		return err
	}
	return printJSON(stdout, out)
}

func printJSON(stdout io.Writer, v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// operatorTOTP turns TOTP on for an operator (a new secret each time,
// printed once with its otpauth URI for an authenticator app) or off.
func operatorTOTP(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("operator totp", "EMAIL [--disable] [flags]", stdout)
	fs.about = "Turns TOTP on for the console operator EMAIL and prints the new secret and its otpauth:// URI as JSON, shown only here; " +
		"from then on a console login needs a current code. With --disable, turns it off."
	disable := fs.Bool("disable", false, "turn TOTP off: the password alone logs in again")
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, "EMAIL")
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	var out any
	err = db.InTx(ctx, func(tx *store.Tx) error {
		op, err := operators.FindByEmail(ctx, tx, pos[0])
		if err != nil {
			return err
		}
		if *disable {
			out = map[string]any{"email": op.Email, "totp": false}
			return operators.DisableTOTP(ctx, tx, op.ID)
		}
		enrolled, err := operators.EnableTOTP(ctx, tx, op)
		out = enrolled
		return err
	})
	if err != nil {
		return err
	}
	return printJSON(stdout, out)
}

// ensureOperator gives email role in project, creating the account (with
// password, or a generated one) when there is none.
func ensureOperator(ctx context.Context, db *store.DB, email, password, project string, role operators.Role) (*operatorAccount, error) {
	out := &operatorAccount{Email: email, Project: project, Role: string(role)}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now()
		if _, err := projects.Get(ctx, tx, project); err != nil {
			return err
		}
		op, err := operators.FindByEmail(ctx, tx, email)
		if errs.IsKind(err, errs.KindNotFound) {
			pw := password
			if pw == "" {
				pw = secret.Token(20)
				out.Password = pw
			}
			op, err = operators.Create(ctx, tx, email, pw, now)
			out.Created = true
		}
		if err != nil {
			return err
		}
		out.Member = op.ID
		return operators.Grant(ctx, tx, op.ID, project, role, now)
	})
	return out, err
}
