package tax

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// embedded is the rate data that ships with cellgate: one file per country.
//
//go:embed taxdata/*.json
var embedded embed.FS

// fileRate is one tax in a rate file: rate is a percentage as a decimal
// string ("7.25", at most 4 decimals); flat is minor units per line.
type fileRate struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Rate string `json:"rate"`
	Flat *int64 `json:"flat"`
}

type fileRegion struct {
	Name  string     `json:"name"`
	Taxes []fileRate `json:"taxes"`
}

// file is a country's rate file (docs/billing.md §5).
type file struct {
	Note           string                `json:"note"`
	Country        string                `json:"country"`
	Currency       string                `json:"currency"`
	RegionRequired bool                  `json:"regionRequired"`
	National       []fileRate            `json:"national"`
	Regions        map[string]fileRegion `json:"regions"`
}

// country is a parsed rate file.
type country struct {
	currency       string
	regionRequired bool
	national       []rate
	regions        map[string][]rate
}

// Builtin is the calculator driven by rate files.
type Builtin struct{ countries map[string]*country }

// Embedded is the built-in calculator on the shipped rate data.
func Embedded() *Builtin {
	sub, err := fs.Sub(embedded, "taxdata")
	if err != nil {
		panic(err)
	}
	b, err := Load(sub)
	if err != nil {
		panic(fmt.Sprintf("tax: embedded rate data: %v", err)) // a build defect: the loader test catches it
	}
	return b
}

// Load reads every *.json rate file at the top of fsys.
func Load(fsys fs.FS) (*Builtin, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	b := &Builtin{countries: map[string]*country{}}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		c, code, err := parseFile(raw)
		if err != nil {
			return nil, fmt.Errorf("tax: %s: %w", path.Base(name), err)
		}
		if b.countries[code] != nil {
			return nil, fmt.Errorf("tax: %s: country %s defined twice", name, code)
		}
		b.countries[code] = c
	}
	return b, nil
}

func parseFile(raw []byte) (*country, string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, "", err
	}
	if len(f.Country) != 2 || f.Currency == "" {
		return nil, "", fmt.Errorf("country and currency are required")
	}
	c := &country{currency: f.Currency, regionRequired: f.RegionRequired, regions: map[string][]rate{}}
	var err error
	if c.national, err = parseRates(f.National, f.Country); err != nil {
		return nil, "", err
	}
	for code, r := range f.Regions {
		if c.regions[code], err = parseRates(r.Taxes, f.Country+"-"+code); err != nil {
			return nil, "", fmt.Errorf("region %s: %w", code, err)
		}
	}
	return c, f.Country, nil
}

func parseRates(in []fileRate, jurisdiction string) ([]rate, error) {
	out := make([]rate, 0, len(in))
	seen := map[string]bool{}
	for _, fr := range in {
		if fr.Type != TypeSalesTax && fr.Type != TypeTelecomFee {
			return nil, fmt.Errorf("tax %q: unknown type %q", fr.Name, fr.Type)
		}
		if fr.Name == "" || seen[fr.Name] {
			return nil, fmt.Errorf("tax %q: missing or duplicate name", fr.Name)
		}
		seen[fr.Name] = true
		r := rate{typ: fr.Type, name: fr.Name, jurisdiction: jurisdiction}
		switch {
		case fr.Rate != "" && fr.Flat == nil:
			ppm, err := ParsePercent(fr.Rate)
			if err != nil {
				return nil, fmt.Errorf("tax %q: %w", fr.Name, err)
			}
			r.ppm = &ppm
		case fr.Rate == "" && fr.Flat != nil && *fr.Flat >= 0:
			r.flat = *fr.Flat
		default:
			return nil, fmt.Errorf("tax %q: exactly one of rate or flat (≥ 0) is required", fr.Name)
		}
		out = append(out, r)
	}
	return out, nil
}

// ParsePercent turns a percentage such as "7.25" (at most 4 decimals) into
// parts per million (72500) without going through a float.
func ParsePercent(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 4 || strings.ContainsAny(whole+frac, "+-") {
		return 0, fmt.Errorf("rate %q: want a percentage with at most 4 decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("rate %q: %w", s, err)
	}
	var f int64
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 32); err != nil {
			return 0, fmt.Errorf("rate %q: %w", s, err)
		}
	}
	if w > 100 {
		return 0, fmt.Errorf("rate %q: above 100", s)
	}
	return w*10_000 + f, nil
}

// Regions lists the region codes of a country's file, for checks.
func (b *Builtin) Regions(countryCode string) []string {
	c := b.countries[countryCode]
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.regions))
	for code := range c.regions {
		out = append(out, code)
	}
	return out
}

// Calculate applies the rates of the jurisdiction to every line. A country
// without a file, a missing region where one is required, or another
// currency is an error: the engine then records calculationFailed.
func (b *Builtin) Calculate(_ context.Context, r Request) (Result, error) {
	c := b.countries[r.Jurisdiction.Country]
	if c == nil {
		return Result{}, fmt.Errorf("tax: no rates for country %q", r.Jurisdiction.Country)
	}
	if r.Currency != c.currency {
		return Result{}, fmt.Errorf("tax: rates for %s are in %s, not %s", r.Jurisdiction.Country, c.currency, r.Currency)
	}
	rates := append([]rate(nil), c.national...)
	if region, ok := c.regions[r.Jurisdiction.State]; ok {
		rates = append(rates, region...)
	} else if c.regionRequired {
		return Result{}, fmt.Errorf("tax: no rates for region %q of %s", r.Jurisdiction.State, r.Jurisdiction.Country)
	}
	var res Result
	for _, l := range r.Lines {
		lr, exceeds, err := computeLine(l, r.Behavior, rates)
		if err != nil {
			return Result{}, err
		}
		if exceeds {
			res.ExemptionReason = ReasonInclusiveTaxExceedsPrice
		}
		res.Lines = append(res.Lines, lr)
	}
	return res, nil
}
