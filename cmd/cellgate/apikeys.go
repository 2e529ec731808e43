package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// apiKeysCmd lists, creates and revokes a project's API keys, as the API's
// /projects/{p}/apiKeys and the console do.
func apiKeysCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "apikeys", map[string]subcommand{
		"list":   {"--project P [flags]", apiKeysList},
		"create": {"NAME --project P [flags]", apiKeysCreate},
		"revoke": {"KEY --project P [flags]", apiKeysRevoke},
	}, args, stdout)
}

// withProject parses the --project flag and positional args of an apikeys
// subcommand, then runs fn on the open database.
func withProject(ctx context.Context, cmd, about string, args []string, stdout io.Writer, names []string,
	fn func(db *store.DB, project string, pos []string) (any, error)) error {
	fs := newFlags("apikeys "+cmd, "--project P [flags]", stdout)
	fs.about = about
	project := fs.String("project", "", "the project (required)")
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, names...)
	if err != nil {
		return err
	}
	if *project == "" {
		return usageErrorf("apikeys "+cmd, "--project is required")
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := projects.Get(ctx, db, *project); err != nil {
		return err
	}
	res, err := fn(db, *project, pos)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

func apiKeysList(ctx context.Context, args []string, stdout io.Writer) error {
	return withProject(ctx, "list", "Lists the project's API keys as JSON: prefix and last use, never a secret.", args, stdout, nil,
		func(db *store.DB, project string, _ []string) (any, error) {
			var all []*projects.Key
			p := store.Page{Limit: 200}
			for {
				page, err := projects.ListKeys(ctx, db, project, p)
				if err != nil {
					return nil, err
				}
				all = append(all, page.Items...)
				if page.MoreAfter == nil {
					return map[string]any{"object": "list", "items": all}, nil
				}
				p.After = *page.MoreAfter
			}
		})
}

func apiKeysCreate(ctx context.Context, args []string, stdout io.Writer) error {
	return withProject(ctx, "create", "Creates an API key named NAME and prints it with its secret, shown only here.", args, stdout, []string{"NAME"},
		func(db *store.DB, project string, pos []string) (any, error) {
			var out struct {
				*projects.Key
				Secret string `json:"secret"`
			}
			err := db.InTx(ctx, func(tx *store.Tx) error {
				now, err := projects.Now(ctx, tx, project)
				if err != nil {
					return err
				}
				out.Key, out.Secret, err = projects.CreateKey(ctx, tx, project, pos[0], now)
				return err
			})
			return out, err
		})
}

func apiKeysRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	return withProject(ctx, "revoke", "Revokes the API key KEY (apk_...): every server refuses it from its next request.", args, stdout, []string{"KEY"},
		func(db *store.DB, project string, pos []string) (any, error) {
			var k *projects.Key
			err := db.InTx(ctx, func(tx *store.Tx) error {
				now, err := projects.Now(ctx, tx, project)
				if err != nil {
					return err
				}
				k, err = projects.RevokeKey(ctx, tx, project, pos[0], now)
				return err
			})
			return k, err
		})
}
