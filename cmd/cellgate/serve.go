package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"cellgate/internal/api"
	"cellgate/internal/demo"
	"cellgate/internal/outbound"
	"cellgate/internal/retention"
)

func serve(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("serve", "[flags]", stdout)
	fs.about = "Serves the API and runs the scheduled work of live projects and the webhook deliveries."
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dbURL := databaseFlag(fs.FlagSet)
	withDemo := fs.Bool("demo", false, "ensure the demo test project exists and print its API key")
	publicURL := fs.String("public-url", os.Getenv("CELLGATE_PUBLIC_URL"), "public base URL of this server, used as the event source (env CELLGATE_PUBLIC_URL)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	pollInterval := fs.Duration("poll-interval", time.Second, "how often the worker looks for due scheduled work of live projects")
	allowPrivate := fs.Bool("webhooks-allow-private", false, "let webhook endpoints reach private, loopback and link-local addresses")
	taxData := fs.String("tax-data", os.Getenv(taxDataEnv), "directory of tax rate files replacing the built-in US rates (env "+taxDataEnv+")")
	webhookTimeout := fs.Duration("webhooks-timeout", 15*time.Second, "how long one webhook attempt may take; an attempt cut short by a crash is sent again after 3x this plus 5s")
	carriersFile := carriersFlag(fs.FlagSet)
	simLatency := fs.Duration("payment-simulator-latency", 0, "how long the payment simulator takes to answer a charge it has booked (tests of crashes mid-charge)")
	keep := retention.Defaults
	fs.DurationVar(&keep.Deliveries, "retention-deliveries", keep.Deliveries, "how long webhook deliveries that succeeded are kept, with their attempts (0: forever)")
	fs.DurationVar(&keep.Operations, "retention-operations", keep.Operations, "how long outbound operations that succeeded or were canceled are kept (0: forever)")
	fs.DurationVar(&keep.Idempotency, "retention-idempotency", keep.Idempotency, "how long an Idempotency-Key answer is kept and replayed (0: forever)")
	fs.DurationVar(&keep.Events, "retention-events", keep.Events, "how long events of live projects are kept once no delivery needs them (0: forever, the default)")
	if _, err := fs.parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := newLogger(level)

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// One serve per SQLite file: holding the lock, it releases the leases
	// a killed predecessor left, so their calls repeat at once.
	unlock, only, err := lockSQLite(*dbURL)
	if err != nil {
		return err
	}
	defer unlock()
	db, err := openDatabase(ctx, *dbURL, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if only {
		n, err := outbound.ReleaseLeases(ctx, db)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("released the leases of a previous run", "operations", n)
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := pasteableURL(ln.Addr())
	if *publicURL == "" {
		*publicURL = base
	}

	if *withDemo {
		res, err := demo.Ensure(ctx, db, os.Getenv("CELLGATE_DEMO_API_KEY"))
		if err != nil {
			return fmt.Errorf("demo project: %w", err)
		}
		password, err := demo.EnsureOperator(ctx, db, os.Getenv("CELLGATE_DEMO_PASSWORD"))
		if err != nil {
			return fmt.Errorf("demo operator: %w", err)
		}
		printDemo(stdout, base, res)
		printDemoConsole(stdout, base, password)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	plat, err := newPlatform(db, log, *taxData, *carriersFile)
	if err != nil {
		return err
	}
	plat.Payments.Simulator.Latency = *simLatency
	// The in-process simulator starts empty: give it back the traffic
	// models of test lines, or their usage would stop with the restart.
	if n, err := plat.Usage.RestoreModels(ctx, db); err != nil {
		return err
	} else if n > 0 {
		log.Info("restored the traffic models of test lines", "lines", n)
	}
	plat.Webhooks.Config.AllowPrivate = *allowPrivate
	plat.Webhooks.Config.Timeout = *webhookTimeout
	plat.Webhooks.Config.Source = strings.TrimRight(*publicURL, "/")
	plat.Webhooks.Registerer = reg
	plat.Timeline.Register(reg)
	plat.Outbound.Register(reg)
	srv := api.New(api.Config{DB: db, Logger: log, Registry: reg, Version: version(), PublicURL: strings.TrimRight(*publicURL, "/"), Platform: plat})
	// Live projects' scheduled work runs against the wall clock here; with
	// PostgreSQL every replica runs a worker and each timer runs once.
	workerCtx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		// Webhook deliveries run beside the timeline and stop with it.
		hooksDone := make(chan struct{})
		go func() { defer close(hooksDone); plat.Webhooks.Run(workerCtx) }()
		// Calls to carriers run after the transactions that decide them.
		callsDone := make(chan struct{})
		go func() { defer close(callsDone); plat.Outbound.Work(workerCtx, *pollInterval) }()
		// Old sent deliveries, finished calls and stored answers go.
		go retention.Run(workerCtx, db, keep, time.Hour, log)
		plat.Timeline.Work(workerCtx, *pollInterval)
		<-hooksDone
		<-callsDone
	}()
	// On every way out, the worker stops before the database closes.
	defer func() { stopWorker(); <-workerDone }()
	httpServer := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	log.Info("cellgate listening", "addr", ln.Addr().String(), "database", db.Dialect().String(), "version", version())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop taking new work, let in-flight requests finish, then close.
	log.Info("shutting down")
	srv.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	stopWorker()
	<-workerDone
	log.Info("stopped")
	return nil
}

// pasteableURL is the base URL a person can paste for a listening
// address: a wildcard address (0.0.0.0, ::) listens on loopback too, and
// http://[::]:8080 is not a URL a browser or curl reaches.
func pasteableURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func printDemo(w io.Writer, base string, res demo.Result) {
	fmt.Fprintf(w, `
cellgate demo project %q is ready.

  export CELLGATE_URL=%s
  export GIGS_PROJECT=%s
  export GIGS_TOKEN=%s

Try it:

  curl -s "$CELLGATE_URL/projects/$GIGS_PROJECT/plans?simType=eSIM" \
    --header "Accept: application/json" \
    --header "Authorization: Bearer $GIGS_TOKEN"

`, demo.ProjectID, base, demo.ProjectID, res.APIKey)
}

func printDemoConsole(w io.Writer, base, password string) {
	fmt.Fprintf(w, `Operator console: open %s/console/ and log in as

  email:    %s
  password: %s

(a new password at every start unless CELLGATE_DEMO_PASSWORD is set)

`, base, demo.OperatorEmail, password)
}
