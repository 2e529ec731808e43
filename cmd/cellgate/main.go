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

	"golang.org/x/term"

	"cellgate/internal/store"
)

const usage = `cellgate: a self-hostable connectivity platform

Usage:
  cellgate serve   [--addr 127.0.0.1:8080] [--database URL] [--demo] [--carriers FILE]
  cellgate migrate [--database URL]
  cellgate project create ID [--type test|live] [--name NAME] [--billing] [--database URL]
  cellgate bench   http|bare|seed [flags]   (see BENCHMARKS.md)
  cellgate clock advance PROJECT (--to RFC3339 | --by DURATION) [--database URL]
  cellgate carrier-sim --addr 127.0.0.1:PORT --secret whsec_... [--profile NAME] [--profiles FILE] [--seed N]
  cellgate version

The database is --database, else $CELLGATE_DATABASE_URL, else sqlite:cellgate.db.
It is sqlite:PATH or a postgres:// URL.
`

// commands maps each subcommand to its function.
var commands = map[string]func(ctx context.Context, args []string, stdout io.Writer) error{
	"serve":       serve,
	"migrate":     migrate,
	"project":     project,
	"clock":       clockCmd,
	"bench":       bench,
	"carrier-sim": carrierSim,
	"version": func(_ context.Context, _ []string, stdout io.Writer) error {
		_, err := fmt.Fprintln(stdout, "cellgate", version())
		return err
	},
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		if os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
			fmt.Print(usage)
			return
		}
		fmt.Fprintf(os.Stderr, "cellgate: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err := cmd(context.Background(), os.Args[2:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "cellgate:", err)
		os.Exit(1)
	}
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
	n, err := db.Migrate(ctx)
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
