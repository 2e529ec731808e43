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
	"syscall"
	"time"

	"cellgate/internal/network"
)

// carrierSim serves the built-in simulator as a carrier adapter over the
// protocol of docs/carriers.md: the second process the conformance suite
// talks to, and a stand-in carrier for a cellgate configured with kind
// "http".
func carrierSim(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("carrier-sim", "[flags]", stdout)
	fs.about = "Serves the built-in network simulator as a carrier adapter over the protocol of docs/carriers.md."
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	secret := fs.String("secret", os.Getenv("CELLGATE_CARRIER_SECRET"), "shared secret, whsec_<base64> (env CELLGATE_CARRIER_SECRET)")
	profilesFile := fs.String("profiles", "", "JSON file of simulator profiles added to the built-in ones")
	profile := fs.String("profile", "test", "the profile to simulate")
	seed := fs.Uint64("seed", 0, "seed of every random choice")
	id := fs.String("id", "sim", "provider id the simulator draws under")
	home := fs.String("home-country", "US", "home country of the simulated carrier")
	adopt := fs.Bool("adopt-unknown-lines", false, "take a line it has not seen as active instead of answering lineNotFound")
	if _, err := fs.parse(args); err != nil {
		return err
	}
	profiles := network.BuiltinProfiles()
	if *profilesFile != "" {
		data, err := os.ReadFile(*profilesFile)
		if err != nil {
			return fmt.Errorf("--profiles: %w", err)
		}
		extra, err := network.ParseProfiles(data)
		if err != nil {
			return fmt.Errorf("--profiles %s: %w", *profilesFile, err)
		}
		for n, p := range extra {
			profiles[n] = p
		}
	}
	p, ok := profiles[*profile]
	if !ok {
		return fmt.Errorf("--profile: no profile %q", *profile)
	}
	sim := network.NewSimulator(network.ProviderInfo{ID: *id, HomeCountry: *home}, p, *seed)
	sim.AdoptUnknownLines = *adopt
	log := newLogger(slog.LevelInfo)
	handler, err := network.NewAdapter(sim, *secret, log)
	if err != nil {
		return fmt.Errorf("--secret: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("cellgate listening", "addr", ln.Addr().String(), "role", "carrier-sim", "profile", *profile, "seed", *seed)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
