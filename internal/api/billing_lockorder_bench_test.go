package api_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/store/storetest"
)

// BenchmarkPayCancelResumeRace is the load version of
// TestLockOrderPayCancelResumeNeverDeadlocks: 8 clients (4 paying every
// open invoice, 4 canceling and resuming) on one subscription at a time
// while the clock advances a day every 100 ms, for
// CELLGATE_RACE_SECONDS (default 30) per engine. It reports the p99
// latency of pay, cancel and resume, the deadlocks PostgreSQL broke and
// the 5xx answers; it fails on a deadlock or a 5xx, never on latency.
// Run with -benchtime 1x (see BENCHMARKS.md).
func BenchmarkPayCancelResumeRace(b *testing.B) {
	run := 30 * time.Second
	if v := os.Getenv("CELLGATE_RACE_SECONDS"); v != "" {
		d, err := time.ParseDuration(v + "s")
		if err != nil {
			b.Fatalf("CELLGATE_RACE_SECONDS=%q: %v", v, err)
		}
		run = d
	}
	for _, engine := range storetest.Engines(b) {
		b.Run(engine.Name, func(b *testing.B) {
			for range b.N {
				db := engine.Open(b)
				w := billedWorld(b, db, map[string]any{"currency": "USD", "advanceInvoicingDays": 7, "invoiceOverdueDays": 3, "invoiceOverdueAction": "none"})
				r := newLockRace(w, w.blSub(nil).ID)
				at := blJan10
				r.run(4, 4, func() {
					for end := time.Now().Add(run); time.Now().Before(end); {
						time.Sleep(100 * time.Millisecond)
						at = at.Add(24 * time.Hour)
						r.do("advance", func() *apitest.Response {
							return w.Post("/testing/projects/"+w.Project+"/clock/advance", map[string]any{"to": at.Format(time.RFC3339)})
						})
						r.replaceIfEnded()
					}
				})
				r.check(b)
				writes := slices.Concat(r.took["pay"], r.took["cancel"], r.took["resume"])
				fivexx := 0
				for _, byStatus := range r.answers {
					for status, n := range byStatus {
						if status >= 500 {
							fivexx += n
						}
					}
				}
				b.ReportMetric(float64(percentile(writes, 0.99))/1e6, "p99-ms")
				b.ReportMetric(float64(percentile(writes, 0.50))/1e6, "p50-ms")
				b.ReportMetric(float64(len(writes)), "writes")
				b.ReportMetric(float64(db.Deadlocks()), "deadlocks")
				b.ReportMetric(float64(fivexx), "5xx")
				b.Logf("%s over %s, clock at %s:\n%s", engine.Name, run, at.Format(time.DateOnly), r.table())
				if db.Deadlocks() != 0 || fivexx != 0 {
					b.Errorf("%d deadlocks, %d 5xx answers; want 0 and 0", db.Deadlocks(), fivexx)
				}
			}
		})
	}
}

// table is one line per action: answers by status and latency.
func (r *lockRace) table() string {
	var out strings.Builder
	fmt.Fprintf(&out, "%-8s %8s %10s %10s %10s  %s\n", "action", "requests", "p50", "p99", "max", "answers")
	for _, action := range []string{"pay", "cancel", "resume", "list", "advance"} {
		took := r.took[action]
		fmt.Fprintf(&out, "%-8s %8d %10s %10s %10s  %v\n", action, len(took), percentile(took, 0.5).Round(10*time.Microsecond),
			percentile(took, 0.99).Round(10*time.Microsecond), percentile(took, 1).Round(10*time.Microsecond), r.answers[action])
	}
	return out.String()
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
