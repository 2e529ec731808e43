// Package platform wires the domain services: the lifecycle, the billing
// engine, the flows above both (package lines), the carriers and the
// timeline that runs scheduled work. The
// API server and the command line build one Platform each.
package platform

import (
	"context"
	"log/slog"
	"net/http"

	"cellgate/internal/billing"
	"cellgate/internal/email"
	"cellgate/internal/lines"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/payments"
	"cellgate/internal/porting"
	"cellgate/internal/portout"
	"cellgate/internal/sims"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/timeline"
	"cellgate/internal/usage"
	"cellgate/internal/webhooks"
)

// Platform holds the wired services.
type Platform struct {
	DB            *store.DB
	Carriers      *network.Registry
	Subscriptions *subscriptions.Service
	// Invoices is the billing engine of billed projects.
	Invoices *billing.Invoices
	// Lines runs the flows that involve both a subscription and its
	// invoices; requests that change a subscription or pay an invoice go
	// through it (docs/architecture.md).
	Lines *lines.Service
	// Usage reads the carriers' usage feeds and keeps balances.
	Usage    *usage.Service
	Timeline *timeline.Runner
	// Outbound performs the calls to carriers after the transactions that
	// decide them; a test project's clock advance drives it too.
	Outbound *outbound.Runner
	// Email sends the outbox's messages of live projects (SMTP settings
	// from the environment, docs/email.md).
	Email *email.Outbox
	// Webhooks sends the event log to the projects' endpoints; set its
	// Config before running it.
	Webhooks *webhooks.Worker
	// Payments are the payment providers: the simulator and Stripe.
	Payments *payments.Providers
}

// New wires the services on db. carriers nil means the default providers
// (built-in simulators).
func New(db *store.DB, log *slog.Logger, carriers *network.Registry) *Platform {
	if carriers == nil {
		carriers = network.Default()
	}
	// The built-in simulators keep their portings and port-outs in the
	// database, so a restart of serve finds them (docs/porting.md). A
	// platform without a database (tax data checks, page registries)
	// has nothing to remember.
	if db != nil {
		if err := carriers.Attach(context.Background(), simMemory{db: db}); err != nil && log != nil {
			log.Error("the simulators could not read their state back", "error", err)
		}
	}
	subs := &subscriptions.Service{Carriers: carriers, Porting: &porting.Service{DB: db, Carriers: carriers}}
	invoices := &billing.Invoices{}
	portOuts := &portout.Service{DB: db, Carriers: carriers, Subscriptions: subs}
	flows := &lines.Service{Subscriptions: subs, Billing: invoices, PortOuts: portOuts}
	use := &usage.Service{Carriers: carriers}
	pay := payments.NewProviders(db, payments.StripeFactory(&http.Client{Timeout: outbound.DefaultPolicy.CallTimeout}))
	outbox := &email.Outbox{DB: db, SMTP: email.SMTPFromEnv()}
	kinds := outbound.Kinds{}
	for _, ks := range []outbound.Kinds{subs.Operations(), sims.Operations(carriers), flows.Operations(), use.Operations(), flows.PaymentOperations(pay), outbox.Operations(), portOuts.Operations()} {
		for kind, k := range ks {
			kinds[kind] = k
		}
	}
	ops := outbound.NewRunner(db, kinds, log)
	return &Platform{
		DB:            db,
		Carriers:      carriers,
		Subscriptions: subs,
		Invoices:      invoices,
		Lines:         flows,
		Usage:         use,
		Outbound:      ops,
		Email:         outbox,
		Timeline:      &timeline.Runner{DB: db, Handlers: flows.Handlers(), Log: log, Operations: ops},
		Webhooks:      &webhooks.Worker{DB: db, Log: log},
		Payments:      pay,
	}
}
