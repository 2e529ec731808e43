// Package platformtest builds large test projects in process, for the
// benchmarks and crash tests that need thousands of subscriptions renewing
// at one instant.
package platformtest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/network"
	"cellgate/internal/optional"
	"cellgate/internal/platform"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/subscriptions"
	"cellgate/internal/users"
)

// Population is a test project of N monthly subscriptions, each of its own
// user, all created at Start.
type Population struct {
	Project string
	N       int
	Start   time.Time
	// Billed turns Billing on; the creation invoices are paid at once
	// (automatic payment), and then the project pays as PaymentBehavior
	// says (default manual), which is how renewal invoices will be paid.
	Billed          bool
	PaymentBehavior string
	// Plan is the plan as POST /plans takes it; "" is a monthly plan with
	// unlimited allowances on the test provider.
	Plan string
}

// Seed creates the population and activates it, so that every
// subscription is active and renews at the same instant, which it returns.
func Seed(ctx context.Context, plat *platform.Platform, p Population) (time.Time, error) {
	db := plat.DB
	var plan *catalog.Plan
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: p.Project, Type: projects.TypeTest, Billing: p.Billed}, p.Start); err != nil {
			return err
		}
		if p.Billed {
			if err := SetPaymentBehavior(ctx, tx, p.Project, projects.PaymentAutomatic, p.Start); err != nil {
				return err
			}
		}
		var in catalog.PlanInput
		doc := p.Plan
		if doc == "" {
			doc = `{"name":"Monthly","provider":"test","simTypes":["eSIM"],"price":{"amount":1000,"currency":"USD"},
			"allowances":{"dataBytes":null,"voiceSeconds":null,"smsMessages":null},"validity":{"value":1,"unit":"month","type":"recurring"}}`
		}
		if err := json.Unmarshal([]byte(doc), &in); err != nil {
			return err
		}
		var err error
		plan, err = catalog.CreatePlan(ctx, tx, p.Project, in, network.Default().IDs(), p.Start)
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	const chunk = 500
	for i := 0; i < p.N; i += chunk {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for j := i; j < i+chunk && j < p.N; j++ {
				u, err := users.Create(ctx, tx, p.Project, users.CreateInput{Email: fmt.Sprintf("u%d@example.com", j)}, p.Start)
				if err != nil {
					return err
				}
				in := subscriptions.CreateInput{Plan: plan.ID, User: u.ID, SIM: "auto"}
				if _, err := plat.Lines.Create(ctx, tx, p.Project, in, p.Start); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return time.Time{}, err
		}
	}
	// The test provider activates a line 2 minutes after it is requested.
	if _, err := plat.Timeline.Advance(ctx, p.Project, p.Start.Add(time.Hour)); err != nil {
		return time.Time{}, err
	}
	if p.Billed {
		behavior := p.PaymentBehavior
		if behavior == "" {
			behavior = projects.PaymentManual
		}
		err := db.InTx(ctx, func(tx *store.Tx) error { return SetPaymentBehavior(ctx, tx, p.Project, behavior, p.Start) })
		if err != nil {
			return time.Time{}, err
		}
	}
	var end, renewing int64
	err = db.QueryRow(ctx, `SELECT MIN(period_end), COUNT(*) FROM subscriptions WHERE project_id = ? AND status = 'active'`, p.Project).
		Scan(&end, &renewing)
	if err != nil {
		return time.Time{}, err
	}
	var others int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM subscriptions WHERE project_id = ? AND (status <> 'active' OR period_end <> ?)`,
		p.Project, end).Scan(&others); err != nil {
		return time.Time{}, err
	}
	if renewing != int64(p.N) || others != 0 {
		return time.Time{}, fmt.Errorf("platformtest: %d of %d subscriptions active, %d not renewing at one instant", renewing, p.N, others)
	}
	return store.Time(end), nil
}

// SetPaymentBehavior switches how the project pays its invoices.
func SetPaymentBehavior(ctx context.Context, tx *store.Tx, project, behavior string, now time.Time) error {
	_, err := projects.Update(ctx, tx, project, projects.UpdateInput{Billing: optional.Of(projects.BillingUpdate{
		PaymentBehavior: optional.Of(behavior)})}, now)
	return err
}
