package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"cellgate/internal/projects"
	"cellgate/internal/store"
)

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("migrate", "[flags]", stdout)
	fs.about = "Applies the migrations the database lacks; serve does the same when it starts."
	dbURL := databaseFlag(fs.FlagSet)
	if _, err := fs.parse(args); err != nil {
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
	return dispatch(ctx, "project", map[string]subcommand{"create": {"ID [flags]", projectCreate}}, args, stdout)
}

// projectCreate creates a project and its first API key, shown once.
func projectCreate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("project create", "ID [flags]", stdout)
	fs.about = "Creates the project ID and prints it, with its first API key, as one JSON object. The key is shown only here."
	typ := fs.String("type", "test", "project type: test (stored clock) or live (wall clock)")
	name := fs.String("name", "", "display name (default: the id)")
	billing := fs.Bool("billing", false, "turn the Billing API on for the project")
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, "the project ID")
	if err != nil {
		return err
	}
	id := pos[0]
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
