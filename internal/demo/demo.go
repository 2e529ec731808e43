// Package demo sets up the "demo" test project that `cellgate serve --demo`
// offers: a small, realistic catalog to try the API against at once.
package demo

import (
	"context"
	"time"

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

func seedCatalog(ctx context.Context, tx *store.Tx, now time.Time) error {
	return LoadCatalog(ctx, tx, ProjectID, CatalogFile, network.Default().IDs(), now)
}
