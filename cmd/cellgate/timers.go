package main

import (
	"context"
	"io"
	"log/slog"

	"cellgate/internal/timeline"
)

// timersCmd lets an operator see the timers whose work failed and decide
// about the dead ones (docs/time.md, "Failing timers"): retry runs one
// again at once (a test project's at its next advance), drop deletes it.
func timersCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "timers", map[string]subcommand{
		"list":  {"[--project ID] [--all] [flags]", timersList},
		"retry": {"TIMER [flags]", decide("timers retry", "TIMER", timeline.Retry, timeline.Timer.View)},
		"drop":  {"TIMER [flags]", decide("timers drop", "TIMER", timeline.Drop, droppedTimer)},
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
	return printList(stdout, items)
}

// droppedTimer shows a timer that no longer exists.
func droppedTimer(t timeline.Timer) timeline.View {
	v := t.View()
	v.Status = "dropped"
	return v
}
