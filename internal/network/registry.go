package network

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Provider kinds.
const (
	KindSimulator = "simulator"
	KindHTTP      = "http"
)

// ProviderInfo is one configured provider.
type ProviderInfo struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	HomeCountry string `json:"homeCountry"`
	// CountryCode is the E.164 country code of the numbers it hands out.
	CountryCode string `json:"countryCode"`
	// ICCIDIssuer is the two issuer digits of the ICCIDs cellgate
	// allocates for its eSIMs (89 882 <issuer> ...).
	ICCIDIssuer string `json:"iccidIssuer"`
	// SMDPHost is the SM-DP+ host in activation codes.
	SMDPHost string `json:"smdpHost,omitempty"`
	Kind     string `json:"kind"`
	// Profile names the simulator profile (kind simulator).
	Profile string `json:"profile,omitempty"`
	// PlanChangeNow says the carrier changes a line's plan at once; without
	// it plan changes wait for the renewal (docs/changes.md).
	PlanChangeNow bool `json:"planChangeNow,omitempty"`
	// URL and Secret reach an adapter (kind http); Timeout bounds a call.
	URL     string   `json:"url,omitempty"`
	Secret  string   `json:"secret,omitempty"`
	Timeout Duration `json:"timeout,omitempty"`
}

// DefaultSMDPHost is the SM-DP+ host of activation codes when a provider
// names none.
const DefaultSMDPHost = "smdp.cellgate.test"

// DefaultTimeout bounds one call to an adapter when a provider sets none.
const DefaultTimeout = 10 * time.Second

// Config is a carriers file: the providers, extra simulator profiles and
// the simulators' seed.
type Config struct {
	Seed      uint64             `json:"seed"`
	Profiles  map[string]Profile `json:"profiles,omitempty"`
	Providers []ProviderInfo     `json:"providers"`
}

// DefaultConfig is the provider set of a server given no carriers file:
// the simulated carriers named like the reference's p1...p9, and "test",
// the general-purpose test provider (reference §1.9). Their ICCID issuer
// digits are those earlier versions derived, so ICCIDs do not change.
func DefaultConfig() *Config {
	sim := func(id, name, country, cc, issuer string, planChangeNow bool) ProviderInfo {
		return ProviderInfo{ID: id, Name: name, HomeCountry: country, CountryCode: cc, ICCIDIssuer: issuer, Kind: KindSimulator, Profile: id,
			PlanChangeNow: planChangeNow}
	}
	// The UK carrier changes plans only at renewal, as some real ones do.
	return &Config{Providers: []ProviderInfo{
		sim("test", "Test Network", "US", "1", "98", true),
		sim("p1", "Simulated US Carrier", "US", "1", "21", true),
		sim("p4", "Simulated UK Carrier", "GB", "44", "24", false),
		sim("p9", "Simulated Global Carrier", "US", "1", "29", true),
	}}
}

// LoadConfig reads a carriers file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("carriers file: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("carriers file %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig decodes and checks a carriers document. Unknown fields are
// errors, so a typo does not silently fall back to a default.
func ParseConfig(data []byte) (*Config, error) {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("not a carriers document: %w", err)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// ProviderIDPattern is what a provider id looks like.
const ProviderIDPattern = `^[a-z0-9][a-z0-9_-]{0,31}$`

var (
	providerIDPattern = regexp.MustCompile(ProviderIDPattern)
	countryPattern    = regexp.MustCompile(`^[A-Z]{2}$`)
	dialPattern       = regexp.MustCompile(`^[1-9][0-9]{0,2}$`)
	issuerPattern     = regexp.MustCompile(`^[0-9]{2}$`)
)

func (c *Config) check() error {
	if len(c.Providers) == 0 {
		return errors.New("providers: at least one provider is needed")
	}
	for name, p := range c.Profiles {
		if err := p.check(); err != nil {
			return fmt.Errorf("profiles.%s: %w", name, err)
		}
	}
	profiles := c.profiles()
	seen := map[string]bool{}
	for i, p := range c.Providers {
		if err := p.check(profiles); err != nil {
			return fmt.Errorf("providers[%d] (%s): %w", i, p.ID, err)
		}
		if seen[p.ID] {
			return fmt.Errorf("providers[%d]: id %q is used twice", i, p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

// profiles are the built-in profiles with the file's added or replaced.
func (c *Config) profiles() map[string]Profile {
	all := BuiltinProfiles()
	for n, p := range c.Profiles {
		all[n] = p
	}
	return all
}

func (p ProviderInfo) check(profiles map[string]Profile) error {
	switch {
	case !providerIDPattern.MatchString(p.ID):
		return fmt.Errorf("id must match %s", providerIDPattern)
	case strings.TrimSpace(p.Name) == "":
		return errors.New("name is required")
	case !countryPattern.MatchString(p.HomeCountry):
		return fmt.Errorf("homeCountry must be an ISO 3166 alpha-2 code such as \"US\", got %q", p.HomeCountry)
	case !dialPattern.MatchString(p.CountryCode):
		return fmt.Errorf("countryCode must be an E.164 country code such as \"1\" or \"44\", got %q", p.CountryCode)
	case !issuerPattern.MatchString(p.ICCIDIssuer):
		return fmt.Errorf("iccidIssuer must be two digits, got %q", p.ICCIDIssuer)
	}
	switch p.Kind {
	case KindSimulator:
		if _, ok := profiles[p.Profile]; !ok {
			names := slices.Sorted(maps.Keys(profiles))
			return fmt.Errorf("profile %q is not a simulator profile (known: %s)", p.Profile, strings.Join(names, ", "))
		}
		if p.URL != "" || p.Secret != "" {
			return errors.New("url and secret belong to kind \"http\", not \"simulator\"")
		}
	case KindHTTP:
		u, err := url.Parse(p.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("url must be an absolute http(s) URL, got %q", p.URL)
		}
		if err := checkSecret(p.Secret); err != nil {
			return err
		}
		if p.Profile != "" {
			return errors.New("profile belongs to kind \"simulator\", not \"http\"")
		}
	default:
		return fmt.Errorf("kind must be \"simulator\" or \"http\", got %q", p.Kind)
	}
	return nil
}

// checkSecret wants a Standard Webhooks secret: whsec_ and base64 of at
// least 24 bytes.
func checkSecret(s string) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if !strings.HasPrefix(s, "whsec_") || err != nil || len(key) < 24 {
		return errors.New("secret must be whsec_ followed by the base64 of 24 to 64 random bytes")
	}
	return nil
}

// Registry is the configured providers, in configuration order.
type Registry struct {
	infos     []ProviderInfo
	providers map[string]Provider
	// sims are the built-in simulators, kept through Wrap: the testing
	// endpoints play the outside world against them (Simulator).
	sims map[string]*Simulator
}

// NewRegistry builds the providers of cfg: one simulator per simulated
// provider (its state lives as long as the registry) and one HTTP client
// per adapter.
func NewRegistry(cfg *Config) (*Registry, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	profiles := cfg.profiles()
	r := &Registry{infos: cfg.Providers, providers: map[string]Provider{}, sims: map[string]*Simulator{}}
	for _, info := range cfg.Providers {
		switch info.Kind {
		case KindSimulator:
			sim := NewSimulator(info, profiles[info.Profile], cfg.Seed)
			// cellgate's simulator forgets its lines on restart; it takes a
			// line it has not seen as known, so lifecycles go on.
			sim.AdoptUnknownLines = true
			r.providers[info.ID] = sim
			r.sims[info.ID] = sim
		case KindHTTP:
			r.providers[info.ID] = NewHTTPProvider(info, http.DefaultTransport)
		}
	}
	return r, nil
}

// Default is a registry of the default provider set.
func Default() *Registry {
	r, err := NewRegistry(DefaultConfig())
	if err != nil {
		panic("network: default providers: " + err.Error()) // a test holds them valid
	}
	return r
}

// Provider returns the provider of id.
func (r *Registry) Provider(id string) (Provider, error) {
	p, ok := r.providers[id]
	if !ok {
		return nil, fmt.Errorf("network: unknown provider %q", id)
	}
	return p, nil
}

// Simulator returns the built-in simulator of provider id; false for an
// adapter (its carrier is outside cellgate).
func (r *Registry) Simulator(id string) (*Simulator, bool) {
	s, ok := r.sims[id]
	return s, ok
}

// Info returns the configuration of id.
func (r *Registry) Info(id string) (ProviderInfo, bool) {
	i := r.Index(id)
	if i < 0 {
		return ProviderInfo{}, false
	}
	return r.infos[i], true
}

// Index is id's position in the configuration, -1 if unknown.
func (r *Registry) Index(id string) int {
	for i, p := range r.infos {
		if p.ID == id {
			return i
		}
	}
	return -1
}

// IDs lists the provider ids in configuration order.
func (r *Registry) IDs() []string {
	out := make([]string, len(r.infos))
	for i, p := range r.infos {
		out[i] = p.ID
	}
	return out
}

// Wrap returns a registry whose providers are wrap's results: tests use
// it to watch or disturb what cellgate tells the carriers.
func (r *Registry) Wrap(wrap func(ProviderInfo, Provider) Provider) *Registry {
	out := &Registry{infos: r.infos, providers: map[string]Provider{}, sims: r.sims}
	for _, info := range r.infos {
		out.providers[info.ID] = wrap(info, r.providers[info.ID])
	}
	return out
}
