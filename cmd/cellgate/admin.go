package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"cellgate/internal/projects"
	"cellgate/internal/store"
)

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	dbURL := databaseFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelInfo))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = fmt.Fprintln(stdout, "migrations applied")
	return err
}

func project(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: cellgate project create ID [--type test|live] [--name NAME] [--billing] [--database URL]")
	}
	fs := flag.NewFlagSet("project create", flag.ContinueOnError)
	typ := fs.String("type", "test", "project type: test (stored clock) or live (wall clock)")
	name := fs.String("name", "", "display name (default: the id)")
	billing := fs.Bool("billing", false, "turn the Billing API on for the project")
	dbURL := databaseFlag(fs)
	// The id comes first on the documented command line; flags may follow.
	if len(args) == 2 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help") {
		return fs.Parse(args[1:]) // prints the flags and returns flag.ErrHelp
	}
	if len(args) < 2 || len(args[1]) > 0 && args[1][0] == '-' {
		return errors.New("project create: the project ID comes first: cellgate project create ID [flags]")
	}
	id := args[1]
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("project create: unexpected argument %q", fs.Arg(0))
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	var out struct {
		*projects.Project
		APIKey   string `json:"apiKey"`
		APIKeyID string `json:"apiKeyId"`
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now()
		p, err := projects.Create(ctx, tx, projects.CreateInput{ID: id, Name: *name, Type: projects.Type(*typ), Billing: *billing}, now)
		if err != nil {
			return err
		}
		out.Project = p
		out.APIKeyID, out.APIKey, err = projects.NewKey(ctx, tx, p.ID, "created with cellgate project create", "", now)
		return err
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
