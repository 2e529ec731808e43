// Package demo sets up the "demo" test project that `cellgate serve --demo`
// offers: a small, realistic catalog to try the API against at once.
package demo

import (
	"context"
	"encoding/json"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/errs"
	"cellgate/internal/network"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// ProjectID is the demo project's id.
const ProjectID = "demo"

// Result says what Ensure did.
type Result struct {
	APIKey  string
	Created bool // the project was made now, not found
}

// Ensure makes sure the demo project and its catalog exist and returns an
// API key for it. With fixedKey set (CELLGATE_DEMO_API_KEY), that key is
// registered if needed and returned; otherwise a new key is issued, since
// stored keys are hashes and cannot be shown again.
func Ensure(ctx context.Context, db *store.DB, fixedKey string) (Result, error) {
	res, err := ensureOnce(ctx, db, fixedKey)
	if e, ok := errs.As(err); ok && e.Code == "projectAlreadyExists" {
		// Another replica started with --demo at the same moment and
		// created the project first: it exists now, so take it.
		return ensureOnce(ctx, db, fixedKey)
	}
	return res, err
}

func ensureOnce(ctx context.Context, db *store.DB, fixedKey string) (Result, error) {
	var res Result
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now()
		_, err := projects.Get(ctx, tx, ProjectID)
		if errs.IsKind(err, errs.KindNotFound) {
			if _, err := projects.Create(ctx, tx, projects.CreateInput{ID: ProjectID, Name: "Demo", Type: projects.TypeTest}, now); err != nil {
				return err
			}
			res.Created = true
			if now, err = projects.Now(ctx, tx, ProjectID); err != nil {
				return err
			}
			if err := seedCatalog(ctx, tx, now); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if fixedKey != "" {
			if k, err := projects.LookupKey(ctx, tx, fixedKey); err == nil {
				if k.ProjectID != ProjectID {
					return errs.Conflict("apiKeyAlreadyExists", "CELLGATE_DEMO_API_KEY is already a key of project %q.", k.ProjectID)
				}
				res.APIKey = fixedKey
				return nil
			}
		}
		_, res.APIKey, err = projects.NewKey(ctx, tx, ProjectID, "demo", fixedKey, now)
		return err
	})
	return res, err
}

// plans is the demo catalog, written as the API would receive it.
var plans = []string{
	// An eSIM plan that needs an address, like the one in the quickstart.
	`{"name": "Gigs Global", "description": "A data plan you will love! Operates in most countries of the world.",
	  "provider": "p9", "simTypes": ["eSIM"], "price": {"amount": 2500, "currency": "USD"},
	  "allowances": {"dataBytes": 10000000000, "voiceSeconds": 30000, "smsMessages": 100},
	  "requirements": {"address": "present"},
	  "validity": {"value": 1, "unit": "month", "type": "recurring", "minimumPeriods": 1},
	  "coverage": {"id": "global", "name": "Global", "countries": ["US", "CA", "MX", "GB", "DE", "FR", "ES", "IT", "JP", "AU"]}}`,
	// A physical-SIM plan with unlimited talk and text.
	`{"name": "Everyday Unlimited", "description": "Unlimited calls and texts with 5 GB of data, on a physical SIM.",
	  "provider": "p1", "simTypes": ["pSIM"], "price": {"amount": 1500, "currency": "USD"},
	  "allowances": {"dataBytes": 5000000000, "voiceSeconds": null, "smsMessages": null},
	  "requirements": {"user.fullName": "present"},
	  "validity": {"value": 1, "unit": "month", "type": "recurring", "minimumPeriods": 3},
	  "coverage": {"id": "us", "name": "United States", "countries": ["US"]}}`,
	// A day-based prepaid plan that works on either SIM type.
	`{"name": "Prepaid 30 Days", "description": "20 GB for 30 days, renewing every 30 days.",
	  "provider": "test", "simTypes": ["eSIM", "pSIM"], "price": {"amount": 1000, "currency": "USD"},
	  "allowances": {"dataBytes": 20000000000, "voiceSeconds": 6000, "smsMessages": 500},
	  "limits": {"throttling": {"thresholdBytes": 20000000000, "bandwidthBitsPerSecond": 128000}},
	  "validity": {"value": 30, "unit": "day", "type": "recurring"}}`,
}

func seedCatalog(ctx context.Context, tx *store.Tx, now time.Time) error {
	for _, body := range plans {
		var in catalog.PlanInput
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			return err
		}
		if _, err := catalog.CreatePlan(ctx, tx, ProjectID, in, network.Default().IDs(), now); err != nil {
			return err
		}
	}
	return nil
}
