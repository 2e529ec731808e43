package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"cellgate/internal/store"
)

// decide is an operator's retry or drop of one piece of failed work (a
// dead timer, a failed outbound operation): it runs act on the id in one
// transaction and prints what became of it as JSON.
func decide[T, V any](cmd, idName string, act func(context.Context, *store.Tx, string) (T, error), show func(T) V) runFunc {
	return func(ctx context.Context, args []string, stdout io.Writer) error {
		fs := newFlags(cmd, idName+" [flags]", stdout)
		dbURL := databaseFlag(fs.FlagSet)
		pos, err := fs.parse(args, idName)
		if err != nil {
			return err
		}
		db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
		if err != nil {
			return err
		}
		defer db.Close()
		var v T
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			v, err = act(ctx, tx, pos[0])
			return err
		}); err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(show(v))
	}
}

// printList prints items as a list object.
func printList(stdout io.Writer, items any) error {
	return json.NewEncoder(stdout).Encode(map[string]any{"object": "list", "items": items})
}
