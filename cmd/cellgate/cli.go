package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// runFunc runs one command with its arguments; stdout is for its output
// and for help asked for with -h.
type runFunc func(ctx context.Context, args []string, stdout io.Writer) error

// usageError is a command line that cannot run as given. main exits 2 and
// says where the command's help is.
type usageError struct {
	cmd string // "serve", "project create"
	msg string
}

func (e *usageError) Error() string {
	return fmt.Sprintf("%s: %s (run \"cellgate %s -h\" for its usage)", e.cmd, e.msg, e.cmd)
}

func usageErrorf(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// cmdFlags is one command's flags, the one place that turns a command line
// into values. Every command goes through parse, so every command refuses
// a stray argument instead of silently dropping the flags after it (the
// flag package stops at the first non-flag).
type cmdFlags struct {
	*flag.FlagSet
	synopsis string    // what follows "cellgate NAME" in the usage line
	about    string    // one paragraph under it, optional
	help     io.Writer // where -h prints
}

// newFlags starts the flag set of the command name ("project create").
// The flag package prints nothing itself: parse reports its errors once,
// as usage errors.
func newFlags(name, synopsis string, stdout io.Writer) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, synopsis: synopsis, help: stdout}
}

// parse reads args: the positional arguments, named in order by names
// (before, between or after the flags), and the flags. A missing or extra
// argument and a bad flag are usage errors; -h prints the usage and
// returns flag.ErrHelp.
func (f *cmdFlags) parse(args []string, names ...string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				f.printUsage()
				return nil, err
			}
			return nil, usageErrorf(f.Name(), "%v", err)
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		if len(pos) == len(names) {
			return nil, usageErrorf(f.Name(), "unexpected argument %q", args[0])
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) < len(names) {
		return nil, usageErrorf(f.Name(), "missing %s", names[len(pos)])
	}
	return pos, nil
}

// printUsage writes the usage line, the paragraph and the flags.
func (f *cmdFlags) printUsage() {
	fmt.Fprintln(f.help, strings.TrimSpace("Usage: cellgate "+f.Name()+" "+f.synopsis))
	if f.about != "" {
		fmt.Fprintf(f.help, "\n%s\n", f.about)
	}
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(f.help, "\nFlags:")
		f.SetOutput(f.help)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
}

// subcommand is one entry of a command group such as bench http.
type subcommand struct {
	synopsis string
	run      runFunc
}

// dispatch runs the subcommand args[0] of the group name; -h lists the
// subcommands.
func dispatch(ctx context.Context, name string, subs map[string]subcommand, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageErrorf(name, "missing subcommand (%s)", strings.Join(sortedKeys(subs), ", "))
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprintln(stdout, "Usage:")
		for _, k := range sortedKeys(subs) {
			fmt.Fprintf(stdout, "  cellgate %s %s %s\n", name, k, subs[k].synopsis)
		}
		fmt.Fprintf(stdout, "\nRun \"cellgate %s SUBCOMMAND -h\" for its flags.\n", name)
		return flag.ErrHelp
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usageErrorf(name, "unknown subcommand %q", args[0])
	}
	return sub.run(ctx, args[1:], stdout)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// topUsage lists every command with its summary and says how to get each
// one's arguments and flags.
func topUsage() string {
	var b strings.Builder
	b.WriteString("cellgate: a self-hostable connectivity platform\n\nUsage:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  cellgate %s\t%s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintf(tw, "  cellgate help [COMMAND]\tthis text, or a command's arguments and flags\n")
	tw.Flush()
	b.WriteString(`
"cellgate COMMAND -h" (or "cellgate help COMMAND") shows a command's
arguments and flags; "cellgate --version" is "cellgate version".

The database is --database, else $CELLGATE_DATABASE_URL, else sqlite:cellgate.db.
It is sqlite:PATH or a postgres:// URL.
`)
	return b.String()
}
