package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

const timersUsage = `usage: cellgate timers list [--project ID] [--all] [--database URL]
       cellgate timers retry TIMER [--database URL]
       cellgate timers drop TIMER [--database URL]`

// timersCmd lets an operator see the timers whose work failed and decide
// about the dead ones (docs/time.md, "Failing timers"): retry runs one
// again at once (a test project's at its next advance), drop deletes it.
func timersCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(timersUsage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("timers "+sub, flag.ContinueOnError)
	dbURL := databaseFlag(fs)
	var (
		project *string
		all     *bool
		id      string
	)
	switch sub {
	case "list":
		project = fs.String("project", "", "only this project's timers")
		all = fs.Bool("all", false, "also the timers that failed and will run again (default: dead ones only)")
	case "retry", "drop":
		if len(args) == 0 || len(args[0]) == 0 || args[0][0] == '-' {
			return errors.New(timersUsage)
		}
		id, args = args[0], args[1:]
	default:
		return fmt.Errorf("unknown timers command %q\n%s", sub, timersUsage)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), timersUsage)
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	enc := json.NewEncoder(stdout)
	if sub == "list" {
		ts, err := timeline.Failed(ctx, db, *project, !*all)
		if err != nil {
			return err
		}
		items := make([]timeline.View, len(ts))
		for i, t := range ts {
			items[i] = t.View()
		}
		return enc.Encode(map[string]any{"object": "list", "items": items})
	}
	act := timeline.Retry
	if sub == "drop" {
		act = timeline.Drop
	}
	var t timeline.Timer
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		t, err = act(ctx, tx, id)
		return err
	}); err != nil {
		return err
	}
	v := t.View()
	if sub == "drop" {
		v.Status = "dropped"
	}
	return enc.Encode(v)
}
