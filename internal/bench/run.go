package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
)

// Options configure Run.
type Options struct {
	// Database is "" for fresh SQLite files in a temporary directory,
	// "sqlite:PATH" for the API at PATH and the bare handler at PATH.bare
	// (neither may exist yet), or a postgres:// URL both use, each with a
	// project of its own.
	Database string
	Load     Load
	Users    int // seeded for the GET scenarios
	// CPUProfile, when set, names the CPU profile files: one per scenario,
	// with the scenario inserted before the extension (cpu.get-api.pprof).
	CPUProfile string
	// Only, when not empty, limits the run to these scenarios, named as
	// in profile files: get-api, get-bare, post-api, post-bare.
	Only []string
	// Rounds repeats the scenarios; the report gives every round and the
	// medians, which are steadier on a shared machine. Default 1.
	Rounds int
	// WALAutocheckpoint, when set, overrides SQLite's wal_autocheckpoint
	// (default 1000 pages; 0 = never) on both writers. An experiment, not
	// the shipped configuration.
	WALAutocheckpoint *int
	Progress          io.Writer // one line per step; nil is silent
	Version           string    // of the binary, for the report header
}

// Report is one run: the scenarios of every round, in order.
type Report struct {
	Version  string
	Engine   string
	Load     Load
	Rounds   [][]Result // per round: GET api, GET bare, POST api, POST bare
	Profiles []string
	Notes    []string
}

// Targets of the issue, for the summary line.
const (
	TargetGetRPS    = 25000
	TargetGetRatio  = 0.6
	TargetPostRPS   = 8000
	TargetPostRatio = 0.5
	// TargetSubscribeRPS is issue 3's create-subscription target.
	TargetSubscribeRPS = 2000.0
	defaultTempUsers   = 1000
)

// Run starts the API and the bare handler on fresh databases, drives GET
// api, GET bare, POST api and POST bare one after another, and reports.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Users <= 0 {
		o.Users = defaultTempUsers
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	apiURL, bareURL, cleanup, err := databases(o.Database)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rep := &Report{Engine: strings.SplitN(apiURL, ":", 2)[0], Load: o.Load, Version: o.Version}

	fmt.Fprintf(progress, "seeding %d users per target on %s\n", o.Users, rep.Engine)
	apiT, err := StartAPI(ctx, apiURL, JSONDiscardLogger(), o.Users)
	if err != nil {
		return nil, err
	}
	defer apiT.Close()
	bareT, err := StartBare(ctx, bareURL, o.Users)
	if err != nil {
		return nil, err
	}
	defer bareT.Close()
	for _, t := range []*Target{apiT, bareT} {
		if o.WALAutocheckpoint != nil {
			if rep.Engine != "sqlite" {
				return nil, errors.New("bench: wal_autocheckpoint is a SQLite setting")
			}
			if err := t.SetWALAutocheckpoint(ctx, *o.WALAutocheckpoint); err != nil {
				return nil, err
			}
			rep.Notes = append(rep.Notes, fmt.Sprintf("EXPERIMENT: wal_autocheckpoint=%d on the %s writer (shipped: SQLite default 1000)", *o.WALAutocheckpoint, t.Name))
		}
		if err := t.Listen(); err != nil {
			return nil, err
		}
	}

	rounds := max(o.Rounds, 1)
	for round := 1; round <= rounds; round++ {
		var results []Result
		for _, s := range []Scenario{GetScenario(apiT), GetScenario(bareT), PostScenario(apiT), PostScenario(bareT), SubscribeScenario(apiT)} {
			if len(o.Only) > 0 && !slices.Contains(o.Only, slug(s.Name)) {
				continue
			}
			fmt.Fprintf(progress, "round %d/%d %-9s %s: warm-up %s, measure %s, concurrency %d\n", round, rounds, s.Name, s.Target.URL, o.Load.Warmup, o.Load.Duration, o.Load.Concurrency)
			stopProfile := func() {}
			if o.CPUProfile != "" && round == 1 { // one profile per scenario is enough
				path := ProfilePath(o.CPUProfile, s.Name)
				if stopProfile, err = startProfile(path); err != nil {
					return nil, err
				}
				rep.Profiles = append(rep.Profiles, path)
			}
			results = append(results, Drive(ctx, s, o.Load))
			stopProfile()
			if err := ctx.Err(); err != nil {
				rep.Rounds = append(rep.Rounds, results)
				return rep, err
			}
		}
		rep.Rounds = append(rep.Rounds, results)
	}
	return rep, nil
}

// databases turns Options.Database into one URL per target and a cleanup.
func databases(db string) (apiURL, bareURL string, cleanup func(), err error) {
	switch {
	case db == "":
		dir, err := os.MkdirTemp("", "cellgate-bench-")
		if err != nil {
			return "", "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "api.db"), "sqlite:" + filepath.Join(dir, "bare.db"), func() { os.RemoveAll(dir) }, nil
	case strings.HasPrefix(db, "sqlite:"):
		path := strings.TrimPrefix(db, "sqlite:")
		for _, p := range []string{path, path + ".bare"} {
			if _, err := os.Stat(p); err == nil {
				return "", "", nil, fmt.Errorf("bench: %s exists; the benchmark wants fresh database files", p)
			}
		}
		return db, db + ".bare", func() {}, nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return db, db, func() {}, nil
	}
	return "", "", nil, errors.New("bench: --database must be sqlite:PATH or a postgres:// URL")
}

// ProfilePath inserts the scenario ("GET api" → "get-api") before the
// extension of base.
func ProfilePath(base, scenario string) string {
	ext := filepath.Ext(base)
	return strings.TrimSuffix(base, ext) + "." + slug(scenario) + ext
}

// slug names a scenario in files and flags: "GET api" is get-api.
func slug(scenario string) string { return strings.ToLower(strings.ReplaceAll(scenario, " ", "-")) }

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
