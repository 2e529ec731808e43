package main

import (
	"context"
	"io"
	"log/slog"

	"cellgate/internal/outbound"
)

// operationsCmd lets an operator see the calls to outside systems that
// gave up and decide about them (docs/outbound.md): retry makes the call
// again under the same idempotency key, drop cancels it.
func operationsCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "operations", map[string]subcommand{
		"list":  {"[--status STATUS] [--limit N] [flags]", operationsList},
		"retry": {"OPERATION [flags]", decide("operations retry", "OPERATION", outbound.Retry, outbound.Operation.View)},
		"drop":  {"OPERATION [flags]", decide("operations drop", "OPERATION", outbound.Drop, outbound.Operation.View)},
	}, args, stdout)
}

func operationsList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("operations list", "[--status STATUS] [--limit N] [flags]", stdout)
	fs.about = "Lists outbound operations as JSON, newest first: by default the failed ones, which wait for an operator."
	status := fs.String("status", outbound.StatusFailed, "pending, succeeded, failed, canceled, or empty for all")
	limit := fs.Int("limit", 100, "at most this many")
	dbURL := databaseFlag(fs.FlagSet)
	if _, err := fs.parse(args); err != nil {
		return err
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	ops, err := outbound.List(ctx, db, *status, *limit)
	if err != nil {
		return err
	}
	items := make([]any, len(ops))
	for i, op := range ops {
		items[i] = op.View()
	}
	return printList(stdout, items)
}
