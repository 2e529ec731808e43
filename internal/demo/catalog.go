package demo

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"cellgate/internal/catalog"
	"cellgate/internal/store"
)

// CatalogFile is the demo project's catalog: plans and add-ons written as
// the API would receive them, except that an add-on names its plans by
// name, since their ids are made when they are created.
//
//go:embed catalog.json
var CatalogFile []byte

// catalogDoc is the shape of a catalog file.
type catalogDoc struct {
	Plans  []json.RawMessage `json:"plans"`
	Addons []json.RawMessage `json:"addons"`
}

// LoadCatalog creates the plans and add-ons of a catalog file in a
// project, each through the same checks as POST /plans and POST /addons.
func LoadCatalog(ctx context.Context, tx *store.Tx, project string, file []byte, providers []string, now time.Time) error {
	var doc catalogDoc
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("catalog file: %w", err)
	}
	byName := map[string]string{}
	for i, raw := range doc.Plans {
		var in catalog.PlanInput
		if err := json.Unmarshal(raw, &in); err != nil {
			return fmt.Errorf("catalog file: plans[%d]: %w", i, err)
		}
		p, err := catalog.CreatePlan(ctx, tx, project, in, providers, now)
		if err != nil {
			return fmt.Errorf("catalog file: plans[%d]: %w", i, err)
		}
		byName[p.Name] = p.ID
	}
	for i, raw := range doc.Addons {
		var in catalog.AddonInput
		if err := json.Unmarshal(raw, &in); err != nil {
			return fmt.Errorf("catalog file: addons[%d]: %w", i, err)
		}
		for j, name := range in.Plans.Value {
			id, ok := byName[name]
			if !ok {
				return fmt.Errorf("catalog file: addons[%d].plans[%d]: no plan named %q in the file", i, j, name)
			}
			in.Plans.Value[j] = id
		}
		if _, err := catalog.CreateAddon(ctx, tx, project, in, providers, now); err != nil {
			return fmt.Errorf("catalog file: addons[%d]: %w", i, err)
		}
	}
	return nil
}
