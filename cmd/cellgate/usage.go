package main

import (
	"context"
	"io"
	"log/slog"

	"cellgate/internal/usage"
)

// usageCmd shows operators what the usage feeds could not count
// (docs/usage.md): records for lines cellgate does not know, kept aside.
func usageCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "usage", map[string]subcommand{
		"orphans": {"[--project ID] [--limit N] [flags]", usageOrphans},
	}, args, stdout)
}

func usageOrphans(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("usage orphans", "[--project ID] [--limit N] [flags]", stdout)
	fs.about = "Lists, oldest first, the usage records from carrier feeds that name no known line or cannot be counted, with the reason."
	project := fs.String("project", "", "one project's records; empty for every project")
	limit := fs.Int("limit", 100, "at most this many")
	dbURL := databaseFlag(fs.FlagSet)
	if _, err := fs.parse(args); err != nil {
		return err
	}
	if *limit < 1 {
		return usageErrorf("usage orphans", "--limit must be at least 1")
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	orphans, err := usage.Orphans(ctx, db, *project, *limit)
	if err != nil {
		return err
	}
	items := make([]any, len(orphans))
	for i, o := range orphans {
		items[i] = o
	}
	return printList(stdout, items)
}
