package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/clock"
	"cellgate/internal/events"
	"cellgate/internal/store"
)

// DefaultSchedule is when each attempt happens, measured from the failure
// of the one before: the first is immediate, then Svix's schedule.
var DefaultSchedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Config tunes delivery; the zero value of a field means its default.
type Config struct {
	// AllowPrivate lets endpoints reach private, loopback and link-local
	// addresses (--webhooks-allow-private).
	AllowPrivate bool
	// Source is the server's public base URL, the events' source.
	Source string
	// Timeout bounds one attempt (15 s).
	Timeout time.Duration
	// Schedule is the delay before each attempt; its length is the number
	// of attempts (DefaultSchedule).
	Schedule []time.Duration
	// Jitter spreads each delay by up to this fraction either way (0.1;
	// negative for none).
	Jitter float64
	// DisableAfter disables an endpoint whose attempts have all failed
	// for this long (5 days).
	DisableAfter time.Duration
	// Concurrency is how many attempts may be in flight (128).
	Concurrency int
	// MaxPerEndpoint is how many of them one endpoint may hold (half of
	// Concurrency), so a slow endpoint cannot stall the others.
	MaxPerEndpoint int
	// PollInterval is how often to look for due retries when nothing
	// wakes the worker (500 ms).
	PollInterval time.Duration
}

func (c Config) withDefaults() Config {
	if c.Source == "" {
		c.Source = events.DefaultSource
	}
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if len(c.Schedule) == 0 {
		c.Schedule = DefaultSchedule
	}
	if c.Jitter == 0 {
		c.Jitter = 0.1
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = 5 * 24 * time.Hour
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 128
	}
	if c.MaxPerEndpoint <= 0 {
		c.MaxPerEndpoint = max(1, c.Concurrency/2)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	return c
}

// lease is how long a claimed delivery stays invisible to other workers:
// longer than any attempt plus a turn held behind its endpoint's other
// attempts, so only a crash lets it be claimed again.
func (c Config) lease() time.Duration { return 3*c.Timeout + 5*time.Second }

// Worker sends due deliveries. Several workers (one per replica) may share
// a PostgreSQL database; claims skip each other's rows.
type Worker struct {
	DB     *store.DB
	Log    *slog.Logger
	Config Config
	// Registerer, when set, receives the delivery metrics.
	Registerer prometheus.Registerer
}

// claimed is a delivery the worker holds the lease on.
type claimed struct {
	endpoint, id, event, project string
	attempts                     int
	// lease is the next_attempt_at the claim wrote; a retry requested
	// while the attempt is in flight changes it. claims counts the claims
	// of the delivery: a claim after such a retry can write the same
	// (whole-second) lease, never the same count.
	lease  int64
	claims int64
}

// outcome is what one attempt came to.
type outcome struct {
	c        claimed
	at       time.Time
	latency  time.Duration
	code     int // 0: no answer
	err      string
	retryAt  time.Time // Retry-After, when the receiver sent one
	noSend   bool      // nothing was sent: the endpoint is disabled or gone
	orphan   bool      // the endpoint was deleted: drop the delivery
	canceled bool      // the worker is stopping; the lease will expire
}

func (o outcome) ok() bool { return o.code >= 200 && o.code < 300 }

// ShutdownGrace is how long attempts in flight may finish after Run's
// context ends; those still running then are abandoned unrecorded, and
// sent again once their leases expire.
const ShutdownGrace = 5 * time.Second

// Run delivers until ctx is canceled.
func (w *Worker) Run(ctx context.Context) {
	if w.Log == nil {
		w.Log = slog.Default()
	}
	cfg := w.Config.withDefaults()
	r := &run{w: w, cfg: cfg, client: newClient(cfg.Timeout, cfg.AllowPrivate, cfg.Concurrency),
		results: make(chan outcome, cfg.Concurrency), freed: make(chan struct{}, 1), metrics: newMetrics(w.Registerer),
		perEndpoint: map[string]int{}, held: map[string][]job{}}
	// Attempts in flight when ctx ends get ShutdownGrace to finish and be
	// recorded, so a clean shutdown sends nothing twice.
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(ShutdownGrace, cancelSends) })
	defer stopGrace()
	r.sendCtx = sendCtx
	recorded := make(chan struct{})
	go func() { defer close(recorded); r.record(ctx) }()
	r.claimLoop(ctx)
	r.sends.Wait()
	close(r.results)
	<-recorded
}

// send makes one attempt.
func (r *run) send(ctx context.Context, c claimed, t *target, ev *events.Event) outcome {
	// at is the recorded attempt time (whole seconds); latency and
	// Retry-After are measured on the exact clock.
	start := time.Now()
	o := outcome{c: c, at: clock.Wall()}
	body, err := json.Marshal(ev)
	if err == nil {
		var sig string
		if sig, err = Signature(c.id, o.at, body, t.secrets...); err == nil {
			var req *http.Request
			if req, err = http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body)); err == nil {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "cellgate-webhooks")
				req.Header.Set("webhook-id", c.id)
				req.Header.Set("webhook-timestamp", strconv.FormatInt(o.at.Unix(), 10))
				req.Header.Set("webhook-signature", sig)
				var resp *http.Response
				if resp, err = r.client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
					resp.Body.Close()
					o.code = resp.StatusCode
					o.retryAt = retryAfter(resp, time.Now())
				}
			}
		}
	}
	o.latency = time.Since(start)
	switch {
	case ctx.Err() != nil:
		o.canceled = true
	case err != nil:
		o.err = err.Error()
	case !o.ok():
		o.err = "HTTP " + strconv.Itoa(o.code)
	}
	return o
}

// retryAfter reads Retry-After on the answers that may carry it.
func retryAfter(resp *http.Response, now time.Time) time.Time {
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return time.Time{}
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return time.Time{}
	}
	var at time.Time
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		at = now.Add(time.Duration(s) * time.Second)
	} else if d, err := http.ParseTime(v); err == nil {
		at = d
	}
	if limit := now.Add(24 * time.Hour); at.After(limit) {
		at = limit
	}
	return at
}

// nextAttempt is when attempt n+1 is due after attempt n failed at now, or
// zero when there is none left. Due times are whole seconds, rounded up so
// that no attempt comes before its delay or the receiver's Retry-After.
func (c Config) nextAttempt(n int, now, retryAt time.Time) time.Time {
	if n >= len(c.Schedule) {
		return time.Time{}
	}
	d := c.Schedule[n]
	if c.Jitter > 0 && d > 0 {
		d = time.Duration(float64(d) * (1 + c.Jitter*(2*rand.Float64()-1)))
	}
	next := now.Add(d)
	if retryAt.After(next) {
		next = retryAt
	}
	return clock.CeilSecond(next)
}

// sent reports whether the outcome comes from an attempt, which held one
// of its endpoint's slots.
func (o outcome) sent() bool { return !o.noSend && !o.at.IsZero() }
