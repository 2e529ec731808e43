package main

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"cellgate/internal/billing/tax"
	"cellgate/internal/platform"
	"cellgate/internal/store"
)

// taxDataEnv names a directory of tax rate files (one JSON file per
// country, the format of internal/billing/tax/taxdata/us.json) that
// replaces the built-in rates.
const taxDataEnv = "CELLGATE_TAX_DATA"

// newPlatform wires the services with the tax rates of dir ("" = the
// built-in ones) and the providers of carriersFile ("" = the default set). Every command that issues invoices goes through it, so
// the server and `clock advance` tax alike.
func newPlatform(db *store.DB, log *slog.Logger, dir, carriersFile string) (*platform.Platform, error) {
	carriers, err := loadCarriers(carriersFile)
	if err != nil {
		return nil, err
	}
	plat := platform.New(db, log, carriers)
	if dir == "" {
		return plat, nil
	}
	files := os.DirFS(dir)
	// A mistyped directory must not silently leave every invoice untaxed.
	if names, err := fs.Glob(files, "*.json"); err != nil || len(names) == 0 {
		return nil, fmt.Errorf("tax data %s: no *.json rate files there", dir)
	}
	calc, err := tax.Load(files)
	if err != nil {
		return nil, fmt.Errorf("tax data %s: %w", dir, err)
	}
	plat.Invoices.Calculator = calc
	return plat, nil
}
