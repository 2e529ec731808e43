package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	cgbench "cellgate/internal/bench"
)

// bench measures the API against a bare net/http handler (see BENCHMARKS.md).
func bench(ctx context.Context, args []string, stdout io.Writer) error {
	return dispatch(ctx, "bench", map[string]subcommand{
		"http":  {"[flags]", benchHTTP},
		"bare":  {"[flags]", benchBare},
		"seed":  {"--url URL --project ID [flags]", benchSeed},
		"usage": {"[flags]", benchUsage},
	}, args, stdout)
}

// benchHTTP runs the four scenarios in this process and prints the table.
func benchHTTP(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench http", "[flags]", stdout)
	fs.about = "Runs the benchmark scenarios in this process against fresh databases and prints the table of BENCHMARKS.md."
	duration := fs.Duration("duration", 10*time.Second, "measured time per scenario")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured warm-up per scenario")
	concurrency := fs.Int("concurrency", 32, "concurrent keep-alive clients")
	users := fs.Int("users", 1000, "users seeded per target for GET")
	db := fs.String("database", "", "sqlite:PATH (PATH and PATH.bare must not exist) or postgres://...; default: fresh SQLite files in a temp dir")
	rounds := fs.Int("rounds", 1, "repeat the scenarios; the report adds the medians")
	only := fs.String("only", "", "comma-separated scenarios to run (get-api,get-bare,post-api,post-bare); default all")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile per scenario, named FILE with the scenario before the extension")
	walAuto := fs.Int("wal-autocheckpoint", -1, "EXPERIMENT: set SQLite wal_autocheckpoint (pages, 0 = off) on both writers; -1 keeps the shipped default")
	if _, err := fs.parse(args); err != nil {
		return err
	}
	var walPages *int
	if *walAuto >= 0 {
		walPages = walAuto
	}
	if *concurrency < 1 || *duration <= 0 || *warmup < 0 {
		return usageErrorf(fs.Name(), "--concurrency must be ≥ 1, --duration > 0 and --warmup ≥ 0")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := cgbench.Run(ctx, cgbench.Options{
		Database: *db, Users: *users, CPUProfile: *cpuprofile, Progress: os.Stderr, Only: onlyList(*only), WALAutocheckpoint: walPages, Rounds: *rounds, Version: version(),
		Load: cgbench.Load{Concurrency: *concurrency, Warmup: *warmup, Duration: *duration},
	})
	if rep != nil {
		rep.Print(stdout)
	}
	return err
}

func onlyList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// benchBare serves the bare handler alone, for an external load generator.
func benchBare(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench bare", "[flags]", stdout)
	fs.about = "Serves the bare net/http handler alone, for an external load generator."
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	db := fs.String("database", "", "sqlite:PATH or postgres://...; default: a fresh SQLite file in a temp dir")
	if _, err := fs.parse(args); err != nil {
		return err
	}
	if *db == "" {
		dir, err := os.MkdirTemp("", "cellgate-bare-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*db = "sqlite:" + filepath.Join(dir, "bare.db")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	t, err := cgbench.StartBare(ctx, *db, 0)
	if err != nil {
		return err
	}
	defer t.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := cgbench.NewHTTPServer(t.Handler)
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(stdout, "{\"url\":\"http://%s\",\"project\":%q}\n", ln.Addr(), t.Project)
	<-ctx.Done()
	return srv.Close()
}

// benchSeed creates users over HTTP and prints their ids, one per line.
func benchSeed(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench seed", "--url URL --project ID [flags]", stdout)
	fs.about = "Creates users over HTTP and prints their ids, one per line."
	url := fs.String("url", "", "base URL of the server")
	project := fs.String("project", "", "project id")
	key := fs.String("key", "", "API key (the bare handler ignores it)")
	users := fs.Int("users", 1000, "how many users to create")
	if _, err := fs.parse(args); err != nil {
		return err
	}
	if *url == "" || *project == "" {
		return usageErrorf(fs.Name(), "--url and --project are required")
	}
	bar := newProgress(int64(*users), "seeding users")
	ids, err := cgbench.SeedHTTP(ctx, *url, *project, *key, *users, func() { _ = bar.Add(1) })
	_ = bar.Finish()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := fmt.Fprintln(stdout, id); err != nil {
			return err
		}
	}
	return nil
}
