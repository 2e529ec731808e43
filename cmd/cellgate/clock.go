package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"cellgate/internal/clock"
	"cellgate/internal/projects"
	"cellgate/internal/timeline"
)

// clockCmd moves a test project's clock from the command line, running all
// scheduled work on the way, exactly as the API's clock/advance does.
func clockCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "clock", map[string]subcommand{"advance": {clockAdvanceArgs, clockAdvance}}, args, stdout)
}

const clockAdvanceArgs = "PROJECT (--to RFC3339 | --by STEP) [flags]"

func clockAdvance(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("clock advance", clockAdvanceArgs, stdout)
	fs.about = "Moves the clock of the test project PROJECT, running every timer due on the way, as POST /testing/projects/{project}/clock/advance does."
	to := fs.String("to", "", "advance to this RFC 3339 time")
	by := fs.String("by", "", "advance by this step: 36h, 31d, 1mo, P1M")
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, "PROJECT")
	if err != nil {
		return err
	}
	project := pos[0]
	if (*to == "") == (*by == "") {
		return usageErrorf(fs.Name(), "give exactly one of --to and --by")
	}
	// Both forms are checked before the database is opened.
	var target time.Time
	var step clock.Step
	if *to != "" {
		if target, err = clock.ParseTime(*to); err != nil {
			return usageErrorf(fs.Name(), "--to: %v", err)
		}
	} else if step, err = clock.ParseStep(*by); err != nil {
		return usageErrorf(fs.Name(), "--by must be %s; got %q", clock.StepForms, *by)
	}
	log := newLogger(slog.LevelWarn)
	db, err := openDatabase(ctx, *dbURL, log)
	if err != nil {
		return err
	}
	defer db.Close()
	now, err := projects.Now(ctx, db, project)
	if err != nil {
		return err
	}
	if *by != "" {
		target = step.From(now)
	}
	plat, err := newPlatform(db, log, os.Getenv(taxDataEnv), os.Getenv(carriersEnv))
	if err != nil {
		return err
	}
	start := time.Now()
	// The bar counts the hours the clock has to move; each batch of
	// timers moves it.
	bar := newProgress(max(1, int64(target.Sub(now)/time.Hour)), "advancing "+project)
	ran := 0
	ctx = timeline.WithProgress(ctx, func(clock time.Time, n int) {
		ran += n
		bar.Describe(fmt.Sprintf("%s at %s, %d timers", project, clock.Format(time.DateOnly), ran))
		_ = bar.Set64(int64(clock.Sub(now) / time.Hour))
	})
	rep, err := plat.Timeline.AdvanceReport(ctx, project, target.UTC())
	_ = bar.Finish()
	if err != nil {
		return err
	}
	// As in the API: failing timers do not fail the advance, they are listed.
	failures := make([]timeline.View, len(rep.Failures))
	for i, t := range rep.Failures {
		failures[i] = t.View()
		log.Warn("timer failing", "timer", t.ID, "kind", t.Kind, "subject", t.Subject, "attempts", t.Attempts, "dead", !t.DeadAt.IsZero(), "error", t.LastError)
	}
	enc := json.NewEncoder(stdout)
	return enc.Encode(map[string]any{"object": "testClock", "now": target.UTC(), "timersRun": rep.Ran, "timerFailures": failures, "elapsed": time.Since(start).String()})
}
