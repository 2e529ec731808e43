package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/schollz/progressbar/v3"

	"cellgate/internal/projects"
	"cellgate/internal/snapshots"
	"cellgate/internal/store"
)

// testingCmd is the command-line side of the test-project tools of
// docs/testing.md: snapshots, restore and reset, on the database directly,
// as the /testing/projects/{project}/... endpoints do.
func testingCmd(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "testing", map[string]subcommand{
		"snapshot":  {"PROJECT [--name NAME] [flags]", testingSnapshot},
		"snapshots": {"PROJECT [flags]", testingSnapshots},
		"restore":   {"PROJECT SNAPSHOT [flags]", testingRestore},
		"reset":     {"PROJECT [flags]", testingReset},
	}, args, stdout)
}

// inTestingTx opens the database and runs fn in one transaction.
func inTestingTx(ctx context.Context, dbURL string, fn func(*store.Tx) error) error {
	db, err := openDatabase(ctx, dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.InTx(ctx, fn)
}

func testingSnapshot(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("testing snapshot", "PROJECT [--name NAME] [flags]", stdout)
	fs.about = "Saves the whole state of the test project PROJECT, its clock included, and prints the snapshot."
	name := fs.String("name", "", "a label for the snapshot")
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, "PROJECT")
	if err != nil {
		return err
	}
	var s *snapshots.Snapshot
	err = inTestingTx(ctx, *dbURL, func(tx *store.Tx) error {
		now, err := projects.Now(ctx, tx, pos[0])
		if err != nil {
			return err
		}
		s, err = snapshots.Create(ctx, tx, pos[0], *name, now)
		return err
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(s)
}

func testingSnapshots(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("testing snapshots", "PROJECT [flags]", stdout)
	fs.about = "Lists the snapshots of PROJECT, newest first, as JSON."
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, "PROJECT")
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, *dbURL, newLogger(slog.LevelWarn))
	if err != nil {
		return err
	}
	defer db.Close()
	var items []*snapshots.Snapshot
	for p := (store.Page{Limit: 200}); ; {
		page, err := snapshots.List(ctx, db, pos[0], p)
		if err != nil {
			return err
		}
		items = append(items, page.Items...)
		if page.MoreAfter == nil {
			break
		}
		p.After = *page.MoreAfter
	}
	if items == nil {
		items = []*snapshots.Snapshot{}
	}
	return printList(stdout, items)
}

func testingRestore(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("testing restore", "PROJECT SNAPSHOT [flags]", stdout)
	fs.about = "Brings the test project PROJECT back to SNAPSHOT, its clock included; API keys and snapshots stay."
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, "PROJECT", "SNAPSHOT")
	if err != nil {
		return err
	}
	var s *snapshots.Snapshot
	var bar *progressbar.ProgressBar
	ctx = snapshots.WithProgress(ctx, func(done, total int) {
		if bar == nil {
			bar = newProgress(int64(total), "restoring "+pos[1])
		}
		_ = bar.Set(done)
	})
	err = inTestingTx(ctx, *dbURL, func(tx *store.Tx) error {
		s, err = snapshots.Restore(ctx, tx, pos[0], pos[1])
		return err
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(s)
}

func testingReset(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("testing reset", "PROJECT [flags]", stdout)
	fs.about = "Clears the data of the test project PROJECT; its clock, settings, API keys and snapshots stay."
	dbURL := databaseFlag(fs.FlagSet)
	pos, err := fs.parse(args, "PROJECT")
	if err != nil {
		return err
	}
	if err := inTestingTx(ctx, *dbURL, func(tx *store.Tx) error { return snapshots.Reset(ctx, tx, pos[0]) }); err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]string{"object": "projectReset", "project": pos[0]})
}
