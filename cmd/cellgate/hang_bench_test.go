package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	cgbench "cellgate/internal/bench"
	"cellgate/internal/network"
	"cellgate/internal/store"
)

// BenchmarkPostUsersWithHangingCarrier measures that a carrier which hangs
// does not slow the API: p99 of POST /users at c=16 against a real
// `cellgate serve` on SQLite whose live project's plan is on an HTTP
// carrier (the carrier-sim binary), while a steady trickle of subscriptions
// (20/s, sim "auto") puts carrier calls in flight; once with the carrier
// answering, once with every call hanging until the 30 s call timeout.
// Each round runs on fresh processes and a fresh database, alternating.
//
//	go test -run '^$' -bench HangingCarrier -benchtime 1x ./cmd/cellgate
//
// CELLGATE_BENCH_ROUNDS (default 2) and CELLGATE_BENCH_SECONDS (default 8)
// set the rounds per mode and the measured window.
func BenchmarkPostUsersWithHangingCarrier(b *testing.B) {
	rounds, secs := envInt(b, "CELLGATE_BENCH_ROUNDS", 2), envInt(b, "CELLGATE_BENCH_SECONDS", 8)
	bin := buildBinary(b)
	load := cgbench.Load{Concurrency: 16, Warmup: 2 * time.Second, Duration: time.Duration(secs) * time.Second}
	p99 := map[bool][]time.Duration{}
	for range b.N {
		for range rounds {
			for _, hang := range []bool{false, true} {
				r := hangRound(b, bin, hang, load)
				p99[hang] = append(p99[hang], r)
			}
		}
	}
	base, hung := median(p99[false]), median(p99[true])
	b.ReportMetric(float64(base.Microseconds())/1000, "p99-ms-answering")
	b.ReportMetric(float64(hung.Microseconds())/1000, "p99-ms-hanging")
	b.ReportMetric(float64(hung)/float64(base), "p99-ratio")
	b.Logf("p99 of POST /users at c=16: answering carrier %v (rounds %v), hanging carrier %v (rounds %v), ratio %.2f",
		base, p99[false], hung, p99[true], float64(hung)/float64(base))
}

// hangRound runs one measurement and returns the p99 of POST /users.
func hangRound(b *testing.B, bin string, hang bool, load cgbench.Load) time.Duration {
	ctx := context.Background()
	sim, carrier, simURL := startCarrierSim(b, bin)
	if hang {
		mustDo(b, carrier.InjectFault(ctx, network.Fault{Hang: true}))
	}
	carriers := writeFile(b, "carriers.json", fmt.Sprintf(`{"providers": [
		{"id": "acme", "name": "Acme Mobile", "homeCountry": "US", "countryCode": "1", "iccidIssuer": "42", "kind": "http", "url": %q, "secret": %q, "timeout": "30s"}]}`,
		simURL, simSecret))
	dbURL := "sqlite:" + filepath.Join(b.TempDir(), "hang.db")
	out, stderr, code := run(b, bin, childEnv(), b.TempDir(), "project", "create", "live", "--type", "live", "--database", dbURL)
	if code != 0 {
		b.Fatalf("project create: %d\n%s", code, stderr)
	}
	var project struct{ APIKey string }
	mustDo(b, json.Unmarshal([]byte(out), &project))
	srv := start(b, bin, childEnv(), "serve", "--addr", "127.0.0.1:0", "--carriers", carriers, "--database", dbURL)
	base := srv.listenURL(15 * time.Second)
	api := &retryingClient{base: base + "/projects/live", key: project.APIKey}
	plan := api.create(b, "plan", "/plans", `{"name":"Acme eSIM","provider":"acme","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
		"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`)

	// The trickle: 20 subscriptions a second, each a carrier call.
	tctx, stopTrickle := context.WithCancel(ctx)
	var wg sync.WaitGroup
	trickled := 0
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-tctx.Done():
				return
			case <-tick.C:
			}
			user := api.create(b, "tu"+strconv.Itoa(i), "/users", fmt.Sprintf(`{"email":"t%d@example.com","fullName":"Trickle %d"}`, i, i))
			api.create(b, "ts"+strconv.Itoa(i), "/subscriptions", fmt.Sprintf(`{"plan":%q,"user":%q,"sim":"auto"}`, plan, user))
			trickled++
		}
	})
	time.Sleep(time.Second) // calls in flight before the window opens
	res := cgbench.Drive(ctx, cgbench.PostScenario(&cgbench.Target{Name: "api", URL: base, Project: "live", Key: project.APIKey}), load)
	stopTrickle()
	wg.Wait()
	db, err := store.Open(ctx, dbURL)
	mustDo(b, err)
	var leased, done int
	mustDo(b, db.QueryRow(ctx, `SELECT COUNT(*) FROM operations WHERE status = 'pending' AND leased_until IS NOT NULL`).Scan(&leased))
	mustDo(b, db.QueryRow(ctx, `SELECT COUNT(*) FROM operations WHERE status = 'succeeded'`).Scan(&done))
	db.Close()
	if res.Errors > 0 {
		b.Fatalf("POST /users: %d errors, first %s", res.Errors, res.FirstError)
	}
	if hang && done > 0 || !hang && done == 0 {
		b.Fatalf("hang %v: %d operations succeeded", hang, done)
	}
	b.Logf("hang=%v: POST /users %.0f req/s, p50 %v, p99 %v, max %v; %d subscriptions trickled, %d calls in flight, %d done at the end",
		hang, res.RPS(), res.P50, res.P99, res.Max, trickled, leased, done)
	srv.terminate()
	sim.terminate()
	return res.P99
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
