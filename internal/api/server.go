// Package api translates HTTP into calls on the domain packages: routing,
// authentication, strict decoding, idempotency, pagination and the error
// envelope. It holds no business rules.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/billing"
	"cellgate/internal/catalog"
	"cellgate/internal/console"
	"cellgate/internal/events"
	"cellgate/internal/platform"
	"cellgate/internal/store"
	"cellgate/internal/usage"
	"cellgate/internal/users"
)

// Config wires a Server.
type Config struct {
	DB     *store.DB
	Logger *slog.Logger
	// Registry receives the HTTP metrics; /metrics serves its gatherer.
	Registry *prometheus.Registry
	// BodyLimit caps request bodies; 0 means DefaultBodyLimit.
	BodyLimit int64
	// Version is reported by /healthz.
	Version string
	// PublicURL is the server's public base URL, the source of its events
	// and the base of QR code links.
	PublicURL string
	// Platform is the wired domain services; nil builds one with the
	// built-in network simulator.
	Platform *platform.Platform
}

// Defaults for Config.
const (
	DefaultBodyLimit = 1 << 20
)

// Server is the HTTP API.
type Server struct {
	db       *store.DB
	platform *platform.Platform
	log      *slog.Logger
	limit    int64
	metrics  *httpMetrics
	reg      *prometheus.Registry
	version  string
	source   string
	mux      *http.ServeMux
	console  *console.Console
	// patterns lists the API routes in registration order.
	patterns []string
	// draining is set when the server starts shutting down, so /readyz
	// sends traffic elsewhere while in-flight requests finish.
	draining atomic.Bool
}

// New builds the API and its route table.
func New(cfg Config) *Server {
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = events.DefaultSource
	}
	if cfg.Platform == nil {
		cfg.Platform = platform.New(cfg.DB, cfg.Logger, nil)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		db: cfg.DB, platform: cfg.Platform, log: cfg.Logger, limit: cfg.BodyLimit, version: cfg.Version, source: cfg.PublicURL,
		reg: cfg.Registry, metrics: newHTTPMetrics(cfg.Registry),
		mux: http.NewServeMux(),
	}
	registerStoreMetrics(cfg.Registry, cfg.DB)
	usage.RegisterMetrics(cfg.Registry, cfg.DB)
	s.routes()
	for p := range secretRoutes {
		if !slices.Contains(s.patterns, p) {
			panic("api: secret route " + p + " is not in the route table")
		}
	}
	return s
}

// routes is the whole route table.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metricsHandler())
	s.mux.HandleFunc("GET /openapi.json", serveOpenAPI)

	s.read("GET /projects", s.listProjects)
	s.read("GET /projects/{project}", s.getProject)
	s.write("PATCH /projects/{project}", http.StatusOK, s.updateProject)

	s.write("POST /projects/{project}/users", http.StatusCreated, s.createUser)
	s.read("GET /projects/{project}/users", s.listUsers)
	s.write("POST /projects/{project}/users/search", http.StatusOK, s.searchUsers)
	s.read("GET /projects/{project}/users/{user}", readByID(s, "user", "user", users.Get))
	s.write("PATCH /projects/{project}/users/{user}", http.StatusOK, s.updateUser)
	s.write("DELETE /projects/{project}/users/{user}", http.StatusOK, s.deleteUser)

	s.write("POST /projects/{project}/users/{user}/addresses", http.StatusCreated, s.createAddress)
	s.read("GET /projects/{project}/users/{user}/addresses", s.listAddresses)
	s.read("GET /projects/{project}/users/{user}/addresses/{address}", s.getAddress)
	s.write("DELETE /projects/{project}/users/{user}/addresses/{address}", http.StatusOK, s.deleteAddress)

	s.write("POST /projects/{project}/plans", http.StatusCreated, s.createPlan)
	s.read("GET /projects/{project}/plans", s.listPlans)
	s.read("GET /projects/{project}/plans/{plan}", readByID(s, "plan", "plan", catalog.GetPlan))
	s.write("PATCH /projects/{project}/plans/{plan}", http.StatusOK, s.updatePlan)

	s.write("POST /projects/{project}/subscriptions", http.StatusCreated, s.createSubscription)
	s.read("GET /projects/{project}/subscriptions", s.listSubscriptions)
	s.read("GET /projects/{project}/subscriptions/{subscription}", s.getSubscription)
	s.write("PATCH /projects/{project}/subscriptions/{subscription}", http.StatusOK, s.subscriptionAction(s.updateSubscription))
	s.write("POST /projects/{project}/subscriptions/{subscription}/cancel", http.StatusOK, s.subscriptionAction(s.cancelSubscription))
	s.write("POST /projects/{project}/subscriptions/{subscription}/resume", http.StatusOK, s.subscriptionAction(s.resumeSubscription))
	s.write("POST /projects/{project}/subscriptions/{subscription}/end", http.StatusOK, s.subscriptionAction(s.endSubscription))

	s.write("POST /projects/{project}/sims", http.StatusCreated, s.createSIM)
	s.read("GET /projects/{project}/sims", s.listSIMs)
	s.read("GET /projects/{project}/sims/{sim}", s.getSIM)
	s.read("GET /projects/{project}/sims/{sim}/credentials", s.getSIMCredentials)
	s.mux.HandleFunc("GET /qr/{file}", s.qrCode)

	s.read("GET /testing/projects/{project}/clock", s.getClock)
	s.outsideTx("POST /testing/projects/{project}/clock/advance", s.advanceClock)
	s.snapshotRoutes()
	s.providerRoutes()
	s.handle("POST /carriers/{provider}/callbacks", s.carrierCallback)

	s.write("POST /projects/{project}/quotes", http.StatusCreated, s.createQuote)
	s.read("GET /projects/{project}/invoices", s.listInvoices)
	s.read("GET /projects/{project}/invoices/{invoice}", readByID(s, "invoice", "invoice", billing.GetInvoice))
	s.write("POST /projects/{project}/invoices/{invoice}/pay", http.StatusOK, s.invoiceAction(s.payInvoice))
	s.write("POST /projects/{project}/invoices/{invoice}/void", http.StatusOK, s.invoiceAction(s.voidInvoice))
	s.write("POST /projects/{project}/creditNotes", http.StatusCreated, s.createCreditNote)
	s.read("GET /projects/{project}/creditNotes", s.listCreditNotes)
	s.read("GET /projects/{project}/creditNotes/{creditNote}", readByID(s, "creditNote", "creditNote", billing.GetCreditNote))
	s.write("POST /projects/{project}/creditNotes/{creditNote}/void", http.StatusOK, s.voidCreditNote)

	s.read("GET /projects/{project}/events", s.listEvents)
	s.read("GET /projects/{project}/events/{event}", readByID(s, "event", "event", s.getEvent))

	s.webhookRoutes()
	s.changeRoutes()
	s.usageRoutes()
	s.apiKeyRoutes()
	s.consoleRoutes()
	s.paymentRoutes()
	s.portingRoutes()
	s.portOutRoutes()
	s.deviceRoutes()
	s.emailRoutes()
	s.connectRoutes()

	s.mux.HandleFunc("/", s.notFound)
}

// Routes lists the patterns of every API endpoint ("GET /projects/{project}"),
// for the OpenAPI conformance test.
func (s *Server) Routes() []string { return append([]string(nil), s.patterns...) }

// Handler is the API with its middleware: request id, recovery, logging
// and metrics around the route table.
func (s *Server) Handler() http.Handler {
	return s.observe(s.textPaths(s.mux))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": s.db.Dialect().String(), "version": s.version})
}

// readyz answers whether this replica should get traffic: the database
// answers and the server is not shutting down.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	s.healthz(w, r)
}

// Drain marks the server as shutting down: /readyz fails from now on.
func (s *Server) Drain() { s.draining.Store(true) }
