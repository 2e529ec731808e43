package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// The handler benchmarks call ServeHTTP directly with a recorder: no
// sockets, no client, so they show the cost of the handler path alone
// (auth, routing, middleware, JSON, SQLite) per request.
//
//	go test -run '^$' -bench . -benchmem ./internal/bench/

func benchTargets(b *testing.B) (apiT, bareT *Target) {
	b.Helper()
	dir := b.TempDir()
	ctx := context.Background()
	apiT, err := StartAPI(ctx, "sqlite:"+filepath.Join(dir, "api.db"), JSONDiscardLogger(), 200)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { apiT.Close() })
	bareT, err = StartBare(ctx, "sqlite:"+filepath.Join(dir, "bare.db"), 200)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bareT.Close() })
	return apiT, bareT
}

// scenarios are built inside each b.Run body, which runs once per round:
// a fresh PostScenario tag keeps emails unique across rounds.
var scenarios = []func(*Target) Scenario{GetScenario, PostScenario}

func eachScenario(b *testing.B, apiT, bareT *Target, f func(b *testing.B, s Scenario)) {
	for _, mk := range scenarios {
		for _, t := range []*Target{apiT, bareT} {
			proto := mk(t)
			b.Run(proto.Method+"/"+t.Name, func(b *testing.B) { f(b, mk(t)) })
		}
	}
}

func serve(s Scenario, w, i int) error {
	path, body := s.Next(w, i)
	req := httptest.NewRequest(s.Method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Target.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	s.Target.Handler.ServeHTTP(rec, req)
	if rec.Code != s.Want {
		return fmt.Errorf("%s: status %d: %s", s.Name, rec.Code, rec.Body)
	}
	return nil
}

// BenchmarkHandler runs each scenario on one goroutine.
func BenchmarkHandler(b *testing.B) {
	apiT, bareT := benchTargets(b)
	eachScenario(b, apiT, bareT, func(b *testing.B, s Scenario) {
		i := 0
		for b.Loop() {
			if err := serve(s, 0, i); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkHandlerParallel runs each scenario on GOMAXPROCS goroutines,
// where the single SQLite writer and the read pool start to matter.
func BenchmarkHandlerParallel(b *testing.B) {
	apiT, bareT := benchTargets(b)
	eachScenario(b, apiT, bareT, func(b *testing.B, s Scenario) {
		var workers atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			w := int(workers.Add(1))
			for i := 0; pb.Next(); i++ {
				if err := serve(s, w, i); err != nil {
					b.Error(err) // Fatal may not be called off the benchmark goroutine
					return
				}
			}
		})
	})
}
