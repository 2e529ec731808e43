package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// rssKiB is a process's resident set size from /proc (Linux).
func rssKiB(tb testing.TB, pid int) int64 {
	tb.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Skipf("no /proc on this system: %v", err)
	}
	m := regexp.MustCompile(`(?m)^VmRSS:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		tb.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// BenchmarkIdleFootprint starts `serve --demo` on a fresh SQLite file,
// lets it settle for two seconds after /healthz answers and reports its
// resident memory and the size of the binary (issue 17: at most 50 MiB).
//
//	go test ./cmd/cellgate -run '^$' -bench IdleFootprint -benchtime 1x
func BenchmarkIdleFootprint(b *testing.B) {
	bin := buildBinary(b)
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	var rss int64
	for range b.N {
		env := childEnv("CELLGATE_DATABASE_URL=sqlite:" + filepath.Join(b.TempDir(), "cellgate.db"))
		srv := start(b, bin, env, "serve", "--demo", "--addr", "127.0.0.1:0", "--log-level", "warn")
		out := srv.waitStdout("Authorization: Bearer $GIGS_TOKEN", 30*time.Second)
		base := regexp.MustCompile(`export CELLGATE_URL=(http://\S+)\n`).FindStringSubmatch(out)
		if base == nil {
			b.Fatalf("serve --demo printed no URL:\n%s", out)
		}
		waitHealthy(b, base[1])
		time.Sleep(2 * time.Second)
		rss = rssKiB(b, srv.cmd.Process.Pid)
		srv.terminate()
	}
	b.ReportMetric(float64(rss)/1024, "idle-RSS-MiB")
	b.ReportMetric(float64(fi.Size())/(1<<20), "binary-MiB")
	if rss > 50<<10 {
		b.Errorf("idle RSS %d KiB is over 50 MiB", rss)
	}
}
