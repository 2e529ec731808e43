// Command cellgate runs the connectivity platform: the API server and the
// tools to operate it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"cellgate/internal/store"
)

// command is one entry of the top-level usage.
type command struct {
	name, args, summary string
	run                 runFunc
}

// commands lists every command, in the order of the usage text.
var commands = []command{
	{"serve", "[flags]", "run the API server and its workers", serve},
	{"migrate", "[flags]", "apply the database migrations", migrate},
	{"project", "create ID [flags]", "create a project and print its first API key", project},
	{"operator", "create EMAIL --project P [flags]", "create a console operator with a role in a project", operatorCmd},
	{"apikeys", "list|create|revoke --project P [flags]", "list, create or revoke a project's API keys", apiKeysCmd},
	{"clock", "advance PROJECT [flags]", "move a test project's clock, running due work", clockCmd},
	{"testing", "snapshot|snapshots|restore|reset [flags]", "save, restore or clear a test project's whole state", testingCmd},
	{"timers", "list|retry|drop [flags]", "list failing scheduled work; retry or drop a dead timer", timersCmd},
	{"operations", "list|retry|drop [flags]", "list calls to carriers that gave up; retry or drop them", operationsCmd},
	{"usage", "orphans [flags]", "list usage records the carriers reported for no known line", usageCmd},
	{"carrier-sim", "[flags]", "serve the network simulator as a carrier adapter (docs/carriers.md)", carrierSim},
	{"bench", "http|bare|seed [flags]", "measure the API (see BENCHMARKS.md)", bench},
	{"version", "", "print the version", versionCmd},
}

func main() {
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// runMain runs the command line and returns the exit status: 0, 1 when the
// command failed, 2 when the command line is wrong.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage())
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name != "help" || len(rest) == 0 {
			fmt.Fprint(stdout, topUsage())
			return 0
		}
		// help COMMAND [SUBCOMMAND] is COMMAND [SUBCOMMAND] -h.
		name, rest = rest[0], append(rest[1:len(rest):len(rest)], "-h")
	case "-version", "--version":
		name = "version"
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		fmt.Fprintf(stderr, "cellgate: unknown command %q\n\n%s", name, topUsage())
		return 2
	}
	var usage *usageError
	switch err := commands[i].run(ctx, rest, stdout); {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "cellgate", err)
		return 2
	default:
		fmt.Fprintln(stderr, "cellgate:", err)
		return 1
	}
}

func versionCmd(_ context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("version", "", stdout)
	fs.about = "Prints the version of this binary (also: cellgate --version)."
	if _, err := fs.parse(args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, "cellgate", version())
	return err
}

// databaseFlag registers --database on fs with its environment default.
func databaseFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("CELLGATE_DATABASE_URL")
	if def == "" {
		def = store.DefaultURL
	}
	return fs.String("database", def, "database URL: sqlite:PATH or postgres://... (env CELLGATE_DATABASE_URL)")
}

// openDatabase opens and migrates the database.
func openDatabase(ctx context.Context, url string, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	// A bar appears only when there are migrations to apply, on a terminal.
	var bar *progressbar.ProgressBar
	n, err := db.MigrateWith(ctx, func(done, total int) {
		if bar == nil {
			bar = newProgress(int64(total), "migrating")
		}
		_ = bar.Set(done)
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("applied migrations", "count", n, "database", db.Dialect().String())
	}
	return db, nil
}

// newLogger logs JSON unless stderr is a terminal.
func newLogger(level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// buildVersion is set with -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion = ""

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return "dev"
}
