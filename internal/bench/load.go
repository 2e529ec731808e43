package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Load says how hard and how long to drive a scenario.
type Load struct {
	Concurrency int
	Warmup      time.Duration
	Duration    time.Duration
}

// Scenario is one endpoint of one target, driven by Concurrency workers.
type Scenario struct {
	Name   string // "GET api"
	Target *Target
	Method string
	Want   int // the only status counted as a success
	// Next returns the path and body of request i of worker w; it must
	// be safe to call from every worker at once.
	Next func(w, i int) (path string, body []byte)
}

// Result is what one scenario measured. Requests and the latencies cover
// only the measured window (after warm-up); Errors covers the warm-up too,
// so that no wrong answer goes unreported.
type Result struct {
	Scenario   string
	Requests   int
	Errors     int
	FirstError string
	Elapsed    time.Duration
	// CPU is the CPU time the whole process (servers and load generator)
	// used in the window: 2×Elapsed means both cores were ours.
	CPU      time.Duration
	Load     string // 1-minute load average when the window opened
	P50, P90 time.Duration
	P99, Max time.Duration
}

// RPS is the measured throughput.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// GetScenario reads the target's seeded users round-robin, each worker
// starting at its own offset.
func GetScenario(t *Target) Scenario {
	return Scenario{
		Name: "GET " + t.Name, Target: t, Method: http.MethodGet, Want: http.StatusOK,
		Next: func(w, i int) (string, []byte) {
			id := t.UserIDs[(w*len(t.UserIDs)/64+i)%len(t.UserIDs)]
			return "/projects/" + t.Project + "/users/" + id, nil
		},
	}
}

// PostScenario creates users with an email unique to the worker and the
// request number.
func PostScenario(t *Target) Scenario {
	path := "/projects/" + t.Project + "/users"
	// The tag keeps emails unique when a target is driven more than once.
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	return Scenario{
		Name: "POST " + t.Name, Target: t, Method: http.MethodPost, Want: http.StatusCreated,
		Next: func(w, i int) (string, []byte) {
			b := make([]byte, 0, 96)
			b = append(b, `{"email":"load-`...)
			b = append(b, tag...)
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(w), 10)
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, `@example.com","fullName":"Load User"}`...)
			return path, b
		},
	}
}

// SubscribeScenario creates subscriptions (sim "auto": a new eSIM each) on
// the API target's plan for its seeded users, round-robin. The bare handler
// has no counterpart: this measures the lifecycle's create path alone.
func SubscribeScenario(t *Target) Scenario {
	path := "/projects/" + t.Project + "/subscriptions"
	return Scenario{
		Name: "SUBSCRIBE " + t.Name, Target: t, Method: http.MethodPost, Want: http.StatusCreated,
		Next: func(w, i int) (string, []byte) {
			user := t.UserIDs[(w*len(t.UserIDs)/64+i)%len(t.UserIDs)]
			return path, []byte(`{"plan":"` + t.PlanID + `","user":"` + user + `","sim":"auto"}`)
		},
	}
}

type worker struct {
	lat      []time.Duration
	errors   int
	firstErr string
}

// Drive runs s under load against s.Target.URL and measures it.
func Drive(ctx context.Context, s Scenario, l Load) Result {
	tr := &http.Transport{
		MaxIdleConns: l.Concurrency, MaxIdleConnsPerHost: l.Concurrency,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var (
		recording, stop atomic.Bool
		wg              sync.WaitGroup
		workers         = make([]worker, l.Concurrency)
	)
	for w := range workers {
		wk := &workers[w]
		wk.lat = make([]time.Duration, 0, 1<<15)
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				rec := recording.Load()
				path, body := s.Next(w, i)
				t0 := time.Now()
				status, err := roundTrip(ctx, client, s, path, body)
				d := time.Since(t0)
				if err != nil || status != s.Want {
					wk.errors++
					if wk.firstErr == "" {
						wk.firstErr = describe(status, err)
					}
				}
				if rec {
					wk.lat = append(wk.lat, d)
				}
			}
		})
	}
	sleep(ctx, l.Warmup)
	load, cpu0 := loadAverage(), processCPU()
	start := time.Now()
	recording.Store(true)
	sleep(ctx, l.Duration)
	stop.Store(true)
	// Requests already started when the window closed are counted, so the
	// window ends when the last of them has returned.
	wg.Wait()
	r := summarize(s.Name, workers, time.Since(start))
	r.CPU, r.Load = processCPU()-cpu0, load
	return r
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func roundTrip(ctx context.Context, c *http.Client, s Scenario, path string, body []byte) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, s.Method, s.Target.URL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Target.Key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	// Drain so the connection is reused.
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

func describe(status int, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("status %d", status)
}

func summarize(name string, workers []worker, elapsed time.Duration) Result {
	r := Result{Scenario: name, Elapsed: elapsed}
	var all []time.Duration
	for _, w := range workers {
		all = append(all, w.lat...)
		r.Errors += w.errors
		if r.FirstError == "" {
			r.FirstError = w.firstErr
		}
	}
	slices.Sort(all)
	r.Requests = len(all)
	r.P50, r.P90, r.P99 = Percentile(all, 0.50), Percentile(all, 0.90), Percentile(all, 0.99)
	if len(all) > 0 {
		r.Max = all[len(all)-1]
	}
	return r
}

// Percentile is the nearest-rank percentile p (0 < p ≤ 1) of sorted.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
