package main

import (
	"flag"
	"os"

	"cellgate/internal/network"
)

// carriersEnv names the carriers file when --carriers is not given.
const carriersEnv = "CELLGATE_CARRIERS"

// carriersFlag registers --carriers on fs with its environment default.
func carriersFlag(fs *flag.FlagSet) *string {
	return fs.String("carriers", os.Getenv(carriersEnv), "JSON file of the network providers (docs/carriers.md); none: the built-in simulators test, p1, p4, p9 (env "+carriersEnv+")")
}

// loadCarriers builds the providers of a carriers file, or the default
// set for "".
func loadCarriers(path string) (*network.Registry, error) {
	if path == "" {
		return network.Default(), nil
	}
	cfg, err := network.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	return network.NewRegistry(cfg)
}
