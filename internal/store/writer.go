package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// writer is SQLite's write connection, held for the life of the DB. One
// mutex orders every write, so writers queue in Go and never meet
// SQLITE_BUSY from each other; statements are prepared once on this
// connection and reused by every transaction without database/sql's
// per-transaction statement bookkeeping.
type writer struct {
	// pending queues transactions for the next group commit.
	pendingMu sync.Mutex
	pending   []*txRequest

	mu      sync.Mutex
	conn    *sql.Conn
	stmts   map[string]*sql.Stmt // guarded by mu
	commits int                  // guarded by mu

	// checkpoint asks the checkpointer to fold the WAL back into the
	// database file (see checkpointer).
	checkpoint chan struct{}
	stop       context.CancelFunc
	stopped    chan struct{}

	// forcedCheckpoints counts WAL truncations (WALLimit reached);
	// checkpointErrors counts checkpoints that failed or gave up.
	forcedCheckpoints atomic.Int64
	checkpointErrors  atomic.Int64
}

// checkpointEvery is how many commits pass between checkpoint requests:
// about a thousand WAL pages at cellgate's typical write.
const checkpointEvery = 100

func newWriter(ctx context.Context, pool *sql.DB) (*writer, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// SQLite's automatic checkpoint runs inside the commit that crosses
	// the threshold, fsyncs included, on the one connection every write
	// waits for. cellgate checkpoints from another connection instead.
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		conn.Close()
		return nil, err
	}
	w := &writer{conn: conn, stmts: map[string]*sql.Stmt{}, checkpoint: make(chan struct{}, 1), stopped: make(chan struct{})}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.stop = cancel
	go w.checkpointer(cctx, pool)
	return w, nil
}

// checkpointer runs PASSIVE checkpoints on the pool's spare connection when
// the writer asks, and once a second in any case. A PASSIVE checkpoint does
// not take the write lock, so writers go on while it copies pages.
//
// A PASSIVE checkpoint cannot copy the frames a reader may still need, and
// the WAL only starts over once no reader uses it: under readers that
// always overlap, it would grow without bound. So when it holds more than
// WALLimit frames after a PASSIVE run, the writer truncates it (forceWAL).
func (w *writer) checkpointer(ctx context.Context, pool *sql.DB) {
	defer close(w.stopped)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.checkpoint:
		case <-tick.C:
		}
		var busy, frames, copied int64
		err := pool.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		if err != nil {
			if ctx.Err() == nil {
				w.checkpointErrors.Add(1)
			}
			continue
		}
		if WALLimit > 0 && frames >= WALLimit {
			w.forceWAL(ctx)
		}
	}
}

// WALLimit is the size of the WAL, in frames (pages of 4 KiB), past which
// it is truncated: 16,384 frames, 64 MiB. 0 leaves the WAL to PASSIVE
// checkpoints alone (for the test that shows why).
var WALLimit int64 = 16384

// forceWAL checkpoints the whole WAL and truncates it to zero bytes, on
// the writer's own connection with every Go writer queued behind w.mu
// rather than spinning on SQLITE_BUSY. SQLite waits (busy_timeout) for
// the readers still on old frames; new readers meanwhile read the
// database file, so they cannot hold it off for longer than the oldest
// read runs.
func (w *writer) forceWAL(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var busy, frames, copied int64
	err := w.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			w.checkpointErrors.Add(1)
		}
	case busy != 0:
		// Readers outlasted the busy timeout; the next round tries again.
		w.checkpointErrors.Add(1)
	default:
		w.forcedCheckpoints.Add(1)
	}
}

// stmt returns the prepared statement for query; w.mu must be held.
func (w *writer) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := w.stmts[query]; ok {
		return s, nil
	}
	s, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = s
	return s, nil
}

// A group commit runs the transactions that queued up while the writer was
// busy as savepoints of one SQLite transaction, so that the cost of a commit
// (and of writing each touched page to the WAL) is paid once per group
// rather than once per request. Each transaction still commits or rolls
// back alone: a failing one is rolled back to its savepoint, and its
// caller, like every other, hears only after the group's COMMIT.

// maxGroup bounds a group, so that the first caller in it does not wait
// long behind the others.
const maxGroup = 64

type txRequest struct {
	ctx  context.Context
	fn   func() error
	done chan txResult
}

type txResult struct {
	err   error
	panic any
}

// inTx runs fn as one transaction on the writer, possibly grouped with
// others into one commit. The commit and any rollback run even if ctx is
// canceled meanwhile, so the connection is never left inside a transaction.
func (w *writer) inTx(ctx context.Context, fn func() error) error {
	req := &txRequest{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	w.pendingMu.Lock()
	w.pending = append(w.pending, req)
	w.pendingMu.Unlock()

	// Whoever holds the writer runs the queue, this request included; a
	// request that an earlier holder already ran just takes its result.
	w.mu.Lock()
	for {
		select {
		case res := <-req.done:
			w.mu.Unlock()
			if res.panic != nil {
				panic(res.panic)
			}
			return res.err
		default:
		}
		w.runGroup(w.takePending())
	}
}

func (w *writer) takePending() []*txRequest {
	w.pendingMu.Lock()
	defer w.pendingMu.Unlock()
	n := min(len(w.pending), maxGroup)
	group := append([]*txRequest(nil), w.pending[:n]...)
	w.pending = append(w.pending[:0], w.pending[n:]...)
	return group
}

// runGroup runs a group in one SQLite transaction; w.mu must be held.
func (w *writer) runGroup(group []*txRequest) {
	ctx := context.Background()
	results := make([]txResult, len(group))
	fail := func(err error) {
		_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
		for i := range results {
			if results[i].err == nil && results[i].panic == nil {
				results[i].err = err
			}
		}
	}
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		fail(fmt.Errorf("store: begin: %w", err))
		deliver(group, results)
		return
	}
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if _, err := w.conn.ExecContext(ctx, "SAVEPOINT tx"); err != nil {
			fail(fmt.Errorf("store: savepoint: %w", err))
			deliver(group, results)
			return
		}
		results[i] = call(r.fn)
		ends := []string{"RELEASE tx"}
		if results[i].err != nil || results[i].panic != nil {
			ends = []string{"ROLLBACK TO tx", "RELEASE tx"}
		}
		for _, end := range ends {
			if _, err := w.conn.ExecContext(ctx, end); err != nil {
				// The transaction itself is gone (an I/O error, say):
				// nothing of the group can commit.
				fail(fmt.Errorf("store: end of savepoint: %w", err))
				deliver(group, results)
				return
			}
		}
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		fail(fmt.Errorf("store: commit: %w", err))
		deliver(group, results)
		return
	}
	if w.commits++; w.commits%checkpointEvery == 0 {
		select {
		case w.checkpoint <- struct{}{}:
		default: // one is already pending
		}
	}
	deliver(group, results)
}

// call runs fn, turning a panic into a result for its caller to re-raise.
func call(fn func() error) (res txResult) {
	defer func() {
		if p := recover(); p != nil {
			res = txResult{panic: p}
		}
	}()
	return txResult{err: fn()}
}

func deliver(group []*txRequest, results []txResult) {
	for i, r := range group {
		r.done <- results[i]
	}
}

// exec runs one statement on its own (autocommit).
func (w *writer) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (w *writer) close() error {
	w.stop()
	<-w.stopped
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.stmts {
		s.Close()
	}
	// No final checkpoint here: SQLite folds the WAL in when the last
	// connection to the database closes.
	return w.conn.Close()
}
