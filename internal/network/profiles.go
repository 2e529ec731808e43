package network

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Duration is a time.Duration written as a Go duration string ("90m").
type Duration time.Duration

// UnmarshalJSON reads "90m", "48h" and the like.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"90m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration such as \"90m\"", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// DurationRange is an inclusive range a simulator draws from.
type DurationRange struct {
	Min Duration `json:"min"`
	Max Duration `json:"max"`
}

// IntRange is an inclusive range of counts.
type IntRange struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

// RateRange is a range of fractions (0.05 = 5 %).
type RateRange struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Profile is how a simulated carrier behaves. Every random choice is drawn
// from a hash of the seed, the provider and the request, so a profile and
// a seed give the same outcomes on every run and every replica.
type Profile struct {
	ActivationDelay DurationRange `json:"activationDelay"`
	Failures        Failures      `json:"failures"`
	Usage           UsageProfile  `json:"usage"`
	Porting         PortingRules  `json:"porting"`
	ESIM            ESIMBehaviour `json:"esim"`
	// PortOutValidity is how long port-out credentials stay valid.
	PortOutValidity Duration `json:"portOutValidity"`
}

// Failures are the probabilities of a refusal per call.
type Failures struct {
	// Activation and Restore are final refusals (activationRejected,
	// restoreRejected): the same key gets the same refusal.
	Activation float64 `json:"activation"`
	Restore    float64 `json:"restore"`
	// Transient is a retryable "unavailable" on any call; a retry with the
	// same key draws again.
	Transient float64 `json:"transient"`
}

// UsageProfile shapes the usage feed: what a line uses per interval and
// how late and how inflated the carrier reports it.
type UsageProfile struct {
	// Interval is how often the carrier aggregates (every 3 hours).
	Interval Duration `json:"interval"`
	// ReportDelay is how long after an interval ends its record appears.
	ReportDelay DurationRange `json:"reportDelay"`
	// OverReport inflates reported data over actual use (+5-7 %).
	OverReport   RateRange `json:"overReport"`
	DataBytes    IntRange  `json:"dataBytes"`
	VoiceSeconds IntRange  `json:"voiceSeconds"`
	SMSMessages  IntRange  `json:"smsMessages"`
	// DomesticRoaming and InternationalRoaming are the shares of intervals
	// spent roaming; international ones are in RoamingCountries.
	DomesticRoaming      float64  `json:"domesticRoaming"`
	InternationalRoaming float64  `json:"internationalRoaming"`
	RoamingCountries     []string `json:"roamingCountries"`
}

// PortingRules decide porting outcomes.
type PortingRules struct {
	// BusinessDays is the time a port takes by donor carrier; "*" is any
	// other donor.
	BusinessDays map[string]int `json:"businessDays"`
	// DeclineRate is the share of complete requests the donor declines,
	// with one of DeclineCodes; a missing account number, PIN or name is
	// always declined with its own code.
	DeclineRate  float64  `json:"declineRate"`
	DeclineCodes []string `json:"declineCodes"`
}

// ESIMBehaviour is how the carrier reports eSIM profile states.
type ESIMBehaviour struct {
	// TracksState false answers "unknown" always, as most of the
	// reference's providers do.
	TracksState bool `json:"tracksState"`
	// InstallDelay is the time from registration to the device having
	// installed the profile.
	InstallDelay DurationRange `json:"installDelay"`
}

//go:embed profiles.json
var builtinProfiles []byte

// BuiltinProfiles returns the embedded profiles by name.
func BuiltinProfiles() map[string]Profile {
	p, err := ParseProfiles(builtinProfiles)
	if err != nil {
		panic("network: embedded profiles.json: " + err.Error()) // a test holds it valid
	}
	return p
}

// ParseProfiles reads a profiles document: {"profiles": {"name": {...}}}.
func ParseProfiles(data []byte) (map[string]Profile, error) {
	var doc struct {
		Profiles map[string]Profile `json:"profiles"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	if len(doc.Profiles) == 0 {
		return nil, fmt.Errorf("profiles: no profiles (want {\"profiles\": {\"name\": {...}}})")
	}
	names := make([]string, 0, len(doc.Profiles))
	for n := range doc.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := doc.Profiles[n].check(); err != nil {
			return nil, fmt.Errorf("profiles: %s: %w", n, err)
		}
	}
	return doc.Profiles, nil
}

func (p Profile) check() error {
	checkRate := func(name string, v float64) error {
		if v < 0 || v > 1 {
			return fmt.Errorf("%s must be between 0 and 1, got %v", name, v)
		}
		return nil
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"failures.activation", p.Failures.Activation}, {"failures.restore", p.Failures.Restore}, {"failures.transient", p.Failures.Transient},
		{"usage.domesticRoaming", p.Usage.DomesticRoaming}, {"usage.internationalRoaming", p.Usage.InternationalRoaming},
		{"porting.declineRate", p.Porting.DeclineRate}} {
		if err := checkRate(r.name, r.v); err != nil {
			return err
		}
	}
	switch {
	case p.ActivationDelay.Min > p.ActivationDelay.Max:
		return fmt.Errorf("activationDelay: min is above max")
	case p.Usage.ReportDelay.Min > p.Usage.ReportDelay.Max || p.ESIM.InstallDelay.Min > p.ESIM.InstallDelay.Max:
		return fmt.Errorf("usage.reportDelay or esim.installDelay: min is above max")
	case time.Duration(p.Usage.Interval) < time.Minute:
		return fmt.Errorf("usage.interval must be at least 1m")
	case p.Usage.OverReport.Min > p.Usage.OverReport.Max || p.Usage.OverReport.Min < 0:
		return fmt.Errorf("usage.overReport: want 0 <= min <= max")
	case p.Usage.DataBytes.Min > p.Usage.DataBytes.Max || p.Usage.VoiceSeconds.Min > p.Usage.VoiceSeconds.Max || p.Usage.SMSMessages.Min > p.Usage.SMSMessages.Max:
		return fmt.Errorf("usage: a min is above its max")
	case p.Usage.InternationalRoaming > 0 && len(p.Usage.RoamingCountries) == 0:
		return fmt.Errorf("usage.roamingCountries: needed when internationalRoaming is above 0")
	case p.Porting.DeclineRate > 0 && len(p.Porting.DeclineCodes) == 0:
		return fmt.Errorf("porting.declineCodes: needed when declineRate is above 0")
	case p.Porting.BusinessDays["*"] < 1:
		return fmt.Errorf("porting.businessDays: \"*\" (any donor) must be at least 1")
	case p.PortOutValidity <= 0:
		return fmt.Errorf("portOutValidity must be above 0")
	}
	for _, c := range p.Porting.DeclineCodes {
		if !isDeclineCode(c) {
			return fmt.Errorf("porting.declineCodes: %q is not a porting decline code of the reference", c)
		}
	}
	return nil
}

func isDeclineCode(c string) bool {
	for _, d := range DeclineCodes {
		if d == c {
			return true
		}
	}
	return false
}
