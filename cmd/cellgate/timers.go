package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"cellgate/internal/store"
	"cellgate/internal/timeline"
)

// timersCmd lets an operator see the timers whose work failed and decide
// about the dead ones (docs/time.md, "Failing timers"): retry runs one
// again at once (a test project's at its next advance), drop deletes it.
func timersCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "timers", map[string]subcommand{
		"list":  {"[--project ID] [--all] [flags]", timersList},
		"retry": {"TIMER [flags]", timerDecision("retry", timeline.Retry)},
		"drop":  {"TIMER [flags]", timerDecision("drop", timeline.Drop)},
	}, args, stdout)
}

func timersList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("timers list", "[--project ID] [--all] [flags]", stdout)
	fs.about = "Lists the dead timers (and with --all those still retrying) as JSON."
	project := fs.String("project", "", "only this project's timers")
	all := fs.Bool("all", false, "also the timers that failed and will run again (default: dead ones only)")
	dbURL := databaseFlag(fs.FlagSet)
	if _, err := fs.parse(args); err != nil {
		return err
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	ts, err := timeline.Failed(ctx, db, *project, !*all)
	if err != nil {
		return err
	}
	items := make([]timeline.View, len(ts))
	for i, t := range ts {
		items[i] = t.View()
	}
	return json.NewEncoder(stdout).Encode(map[string]any{"object": "list", "items": items})
}

// timerDecision is retry or drop of one dead timer.
func timerDecision(name string, act func(context.Context, *store.Tx, string) (timeline.Timer, error)) runFunc {
	return func(ctx context.Context, args []string, stdout io.Writer) error {
		fs := newFlags("timers "+name, "TIMER [flags]", stdout)
		dbURL := databaseFlag(fs.FlagSet)
		pos, err := fs.parse(args, "TIMER")
		if err != nil {
			return err
		}
		db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
		if err != nil {
			return err
		}
		defer db.Close()
		var t timeline.Timer
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			t, err = act(ctx, tx, pos[0])
			return err
		}); err != nil {
			return err
		}
		v := t.View()
		if name == "drop" {
			v.Status = "dropped"
		}
		return json.NewEncoder(stdout).Encode(v)
	}
}
