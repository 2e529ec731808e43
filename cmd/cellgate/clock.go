package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"cellgate/internal/projects"
)

// clockCmd moves a test project's clock from the command line, running all
// scheduled work on the way, exactly as the API's clock/advance does.
func clockCmd(ctx context.Context, args []string, stdout io.Writer) error {
	const use = "usage: cellgate clock advance PROJECT (--to RFC3339 | --by DURATION) [--database URL]"
	if len(args) < 2 || args[0] != "advance" || len(args[1]) == 0 || args[1][0] == '-' {
		return errors.New(use)
	}
	project := args[1]
	fs := flag.NewFlagSet("clock advance", flag.ContinueOnError)
	to := fs.String("to", "", "advance to this RFC 3339 time")
	by := fs.Duration("by", 0, "advance by this duration, such as 36h")
	dbURL := databaseFlag(fs)
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if (*to == "") == (*by == 0) {
		return errors.New(use)
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
	target := now.Add(*by)
	if *to != "" {
		if target, err = time.Parse(time.RFC3339, *to); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	plat, err := newPlatform(db, log, os.Getenv(taxDataEnv), os.Getenv(carriersEnv))
	if err != nil {
		return err
	}
	start := time.Now()
	ran, err := plat.Timeline.Advance(ctx, project, target.UTC())
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	return enc.Encode(map[string]any{"object": "testClock", "now": target.UTC(), "timersRun": ran, "elapsed": time.Since(start).String()})
}
