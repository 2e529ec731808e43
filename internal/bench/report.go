package bench

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// ratio of api to bare throughput for method ("GET" or "POST") in results.
func ratio(results []Result, method string) (api, q float64, ok bool) {
	var a, b *Result
	for i := range results {
		switch results[i].Scenario {
		case method + " api":
			a = &results[i]
		case method + " bare":
			b = &results[i]
		}
	}
	if a == nil || b == nil || b.RPS() == 0 {
		return 0, 0, false
	}
	return a.RPS(), a.RPS() / b.RPS(), true
}

// Median is one scenario's medians over the rounds.
type Median struct {
	Scenario string
	RPS      float64
	P50, P99 time.Duration
	Ratio    float64 // median of the per-round api/bare ratios; 0 for bare
	Errors   int     // summed
}

// Medians summarises every scenario over the rounds.
func (r *Report) Medians() []Median {
	if len(r.Rounds) == 0 {
		return nil
	}
	var out []Median
	for i, first := range r.Rounds[0] {
		var rps, ratios []float64
		var p50, p99 []time.Duration
		m := Median{Scenario: first.Scenario}
		method, who, _ := strings.Cut(first.Scenario, " ")
		for _, round := range r.Rounds {
			if i >= len(round) {
				continue
			}
			res := round[i]
			rps, p50, p99 = append(rps, res.RPS()), append(p50, res.P50), append(p99, res.P99)
			m.Errors += res.Errors
			if _, q, ok := ratio(round, method); ok && who == "api" {
				ratios = append(ratios, q)
			}
		}
		m.RPS, m.P50, m.P99, m.Ratio = median(rps), median(p50), median(p99), median(ratios)
		out = append(out, m)
	}
	return out
}

func median[T float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Print writes one table per round (cpu: the process's CPU time over the
// window, 200% being both cores of a 2-core machine; load: the 1-minute
// load average as the window opened), the medians when there are several
// rounds, and the targets.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\ncellgate %s, %s %s/%s, NumCPU %d, GOMAXPROCS %d, engine %s, concurrency %d, warm-up %s, duration %s, rounds %d\n",
		r.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), r.Engine, r.Load.Concurrency, r.Load.Warmup, r.Load.Duration, len(r.Rounds))
	for n, results := range r.Rounds {
		if len(r.Rounds) > 1 {
			fmt.Fprintf(w, "\nround %d\n", n+1)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "scenario\trequests\treq/s\tp50\tp90\tp99\tmax\terrors\tapi/bare\tcpu\tload\t")
		for _, res := range results {
			q := ""
			if method, who, _ := strings.Cut(res.Scenario, " "); who == "api" {
				if _, v, ok := ratio(results, method); ok {
					q = fmt.Sprintf("%.2f", v)
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t%.0f%%\t%s\t\n", res.Scenario, res.Requests, res.RPS(),
				ms(res.P50), ms(res.P90), ms(res.P99), ms(res.Max), res.Errors, q, 100*res.CPU.Seconds()/res.Elapsed.Seconds(), res.Load)
		}
		tw.Flush()
	}
	meds := r.Medians()
	if len(r.Rounds) > 1 {
		fmt.Fprintf(w, "\nmedian of %d rounds (api/bare: median of the per-round ratios)\n\n", len(r.Rounds))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\terrors\tapi/bare\t")
		for _, m := range meds {
			q := ""
			if m.Ratio > 0 {
				q = fmt.Sprintf("%.2f", m.Ratio)
			}
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%s\t\n", m.Scenario, m.RPS, ms(m.P50), ms(m.P99), m.Errors, q)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	for _, t := range []struct {
		method     string
		rps, ratio float64
	}{{"GET", TargetGetRPS, TargetGetRatio}, {"POST", TargetPostRPS, TargetPostRatio}} {
		for _, m := range meds {
			if m.Scenario == t.method+" api" && m.Ratio > 0 {
				fmt.Fprintf(w, "target %-4s api ≥ %.0f req/s: %.0f %s; api/bare ≥ %.2f: %.2f %s\n",
					t.method, t.rps, m.RPS, verdict(m.RPS >= t.rps), t.ratio, m.Ratio, verdict(m.Ratio >= t.ratio))
			}
		}
	}
	for _, m := range meds {
		if m.Scenario == "SUBSCRIBE api" {
			fmt.Fprintf(w, "target SUBSCRIBE api ≥ %.0f req/s: %.0f %s\n", TargetSubscribeRPS, m.RPS, verdict(m.RPS >= TargetSubscribeRPS))
		}
	}
	for n, results := range r.Rounds {
		for _, res := range results {
			if res.Errors > 0 {
				fmt.Fprintf(w, "round %d %s: %d errors, first: %s\n", n+1, res.Scenario, res.Errors, res.FirstError)
			}
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, n)
	}
	for _, p := range r.Profiles {
		fmt.Fprintf(w, "cpu profile: %s\n", p)
	}
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(SHORT)"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
