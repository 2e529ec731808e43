package webhooks

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"cellgate/internal/clock"
	"cellgate/internal/events"
	"cellgate/internal/store"
)

// The claim loop: lease due deliveries, load what they need, and start
// attempts within the global and per-endpoint limits.

type run struct {
	w       *Worker
	cfg     Config
	client  *http.Client
	sendCtx context.Context
	metrics *metrics
	results chan outcome
	freed   chan struct{}
	sends   sync.WaitGroup

	mu sync.Mutex
	// inflight counts outcomes not yet recorded: attempts running and
	// deliveries being given up. Claims fill what Concurrency leaves.
	inflight int
	// perEndpoint counts the attempts running per endpoint.
	perEndpoint map[string]int

	// held are claimed deliveries waiting for room at their endpoint, in
	// claim order; only the claim loop touches it. They keep their lease.
	held map[string][]job
}

// job is a claimed delivery ready to send.
type job struct {
	c  claimed
	t  *target
	ev *events.Event
}

func (r *run) claimLoop(ctx context.Context) {
	poll := time.NewTimer(0)
	defer poll.Stop()
	for ctx.Err() == nil {
		wake := events.DeliveriesWake() // before claiming, so no wake-up is lost
		r.startHeld()
		r.mu.Lock()
		free := r.cfg.Concurrency - r.inflight
		r.mu.Unlock()
		if free <= 0 {
			select {
			case <-r.freed:
			case <-ctx.Done():
			}
			continue
		}
		batch, err := r.claim(ctx, free, r.busy())
		if err != nil && ctx.Err() == nil {
			r.w.Log.Error("webhooks: claim deliveries", "err", err)
		}
		if len(batch) > 0 {
			r.dispatch(ctx, batch)
		}
		if len(batch) == free {
			continue // there may be more due right now
		}
		poll.Reset(r.cfg.PollInterval)
		select {
		case <-wake:
		case <-poll.C:
		case <-r.freed: // room at a busy endpoint, or for held work
		case <-ctx.Done():
		}
	}
}

// busy lists the endpoints that have their share of attempts running or
// work held back; claims pass them over, so one slow endpoint cannot take
// every slot.
func (r *run) busy() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for ep, n := range r.perEndpoint {
		if n+len(r.held[ep]) >= r.cfg.MaxPerEndpoint {
			out = append(out, ep)
		}
	}
	for ep := range r.held {
		if _, counted := r.perEndpoint[ep]; !counted {
			out = append(out, ep)
		}
	}
	return out
}

// claim leases up to n due deliveries of endpoints not in exclude.
func (r *run) claim(ctx context.Context, n int, exclude []string) ([]claimed, error) {
	now := clock.Wall()
	skip := ""
	if r.w.DB.Dialect() == store.Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	lease := now.Add(r.cfg.lease()).UnixMicro()
	args := []any{lease, now.UnixMicro()}
	not := ""
	if len(exclude) > 0 {
		marks := strings.Repeat("?, ", len(exclude))
		not = ` AND endpoint_id NOT IN (` + marks[:len(marks)-2] + `)`
		for _, ep := range exclude {
			args = append(args, ep)
		}
	}
	args = append(args, n)
	var out []claimed
	err := r.w.DB.InTx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?, claims = claims + 1
			WHERE (endpoint_id, id) IN (SELECT endpoint_id, id FROM webhook_deliveries
				WHERE status = 'pending' AND next_attempt_at <= ?`+not+` ORDER BY next_attempt_at LIMIT ?`+skip+`)
			RETURNING endpoint_id, id, event_id, project_id, attempts, claims`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := claimed{lease: lease}
			if err := rows.Scan(&c.endpoint, &c.id, &c.event, &c.project, &c.attempts, &c.claims); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// target is an endpoint as the sender needs it.
type target struct {
	url, status string
	secrets     []string
}

// dispatch loads what a claimed batch needs, gives up the deliveries that
// cannot be sent, and queues the rest at their endpoints.
func (r *run) dispatch(ctx context.Context, batch []claimed) {
	evIDs := make([]string, 0, len(batch))
	epIDs := map[string]bool{}
	for _, c := range batch {
		evIDs = append(evIDs, c.event)
		epIDs[c.endpoint] = true
	}
	evs, err := events.GetMany(ctx, r.w.DB, evIDs, r.cfg.Source)
	var targets map[string]*target
	if err == nil {
		targets, err = r.targets(ctx, epIDs)
	}
	for _, c := range batch {
		if err != nil {
			// The lease expires and the delivery is tried again.
			r.emit(outcome{c: c, canceled: true})
			continue
		}
		ev, t := evs[c.event], targets[c.endpoint]
		if ev == nil || t == nil || t.status != StatusEnabled {
			r.emit(outcome{c: c, noSend: true, orphan: t == nil, at: clock.Wall()})
			continue
		}
		r.held[c.endpoint] = append(r.held[c.endpoint], job{c, t, ev})
	}
	r.startHeld()
}

// emit hands an outcome that needs no attempt to the recorder.
func (r *run) emit(o outcome) {
	r.mu.Lock()
	r.inflight++
	r.mu.Unlock()
	r.results <- o
}

// startHeld starts as many held attempts as their endpoints' shares and
// the free slots allow.
func (r *run) startHeld() {
	for ep, q := range r.held {
		r.mu.Lock()
		n := min(len(q), r.cfg.MaxPerEndpoint-r.perEndpoint[ep], r.cfg.Concurrency-r.inflight)
		if n > 0 {
			r.perEndpoint[ep] += n
			r.inflight += n
		}
		r.mu.Unlock()
		for _, j := range q[:max(n, 0)] {
			r.sends.Add(1)
			go func() {
				defer r.sends.Done()
				o := r.send(r.sendCtx, j.c, j.t, j.ev)
				r.metrics.observe(o)
				r.results <- o
			}()
		}
		if n >= len(q) {
			delete(r.held, ep)
		} else if n > 0 {
			r.held[ep] = q[n:]
		}
	}
}

func (r *run) targets(ctx context.Context, ids map[string]bool) (map[string]*target, error) {
	args := make([]any, 0, len(ids))
	for id := range ids {
		args = append(args, id)
	}
	marks := strings.Repeat("?, ", len(args))
	rows, err := r.w.DB.Query(ctx, `SELECT id, url, status, secret, previous_secret, previous_secret_until
		FROM webhook_endpoints WHERE id IN (`+marks[:len(marks)-2]+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := clock.Wall().UnixMicro()
	out := map[string]*target{}
	for rows.Next() {
		var (
			id, secret string
			t          target
			prev       *string
			until      *int64
		)
		if err := rows.Scan(&id, &t.url, &t.status, &secret, &prev, &until); err != nil {
			return nil, err
		}
		t.secrets = []string{secret}
		if prev != nil && until != nil && *until > now {
			t.secrets = append(t.secrets, *prev)
		}
		out[id] = &t
	}
	return out, rows.Err()
}
