// Package usage owns what lines use: the carriers' usage feeds, read by
// poll operations and ingested idempotently per cursor; the aggregates per
// line, day, country and roaming label; the balances of each period's
// allowances; the usage notifications; fair-use throttling; the records
// that name no known line; and the traffic models of test lines.
// docs/usage.md states the rules.
//
// It sits between lines and subscriptions (docs/architecture.md): it reads
// subscriptions and changes one only through subscriptions.MarkFirstUsage;
// lines tells it of renewals.
package usage

import (
	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/outbound"
)

// Event types.
const (
	EventNotification     = "usageNotification.created"
	EventThresholdReached = "usageBalance.thresholdReached"
)

func init() { events.Register(EventNotification, EventThresholdReached) }

// Operation kinds.
const (
	// OpPoll reads one batch of a provider's feed for a project.
	OpPoll = "usage.poll"
	// OpThrottle caps or uncaps a line's bandwidth (fair use).
	OpThrottle = "carrier.throttle"
	// OpTraffic gives a test line its traffic model at the simulator.
	OpTraffic = "carrier.traffic"
)

// Service is the usage domain.
type Service struct {
	Carriers *network.Registry
}

// Operations are the usage domain's outbound operation kinds.
func (s *Service) Operations() outbound.Kinds {
	return outbound.Kinds{
		OpPoll:     {Perform: s.performPoll, Apply: s.applyPoll, ApplyValue: s.applyPollValue, Fail: failPoll, Stored: pollSummary},
		OpThrottle: {Perform: s.performThrottle, Apply: noConsequence},
		OpTraffic:  {Perform: s.performTraffic, Apply: noConsequence},
	}
}

// Allowance types and their units.
const (
	TypeData  = "data"
	TypeVoice = "voice"
	TypeSMS   = "sms"

	UnitBytes    = "bytes"
	UnitSeconds  = "seconds"
	UnitMessages = "messages"
)

// Types lists the allowance types in the order balances are shown.
var Types = []string{TypeData, TypeVoice, TypeSMS}

// Units maps an allowance type to its unit.
var Units = map[string]string{TypeData: UnitBytes, TypeVoice: UnitSeconds, TypeSMS: UnitMessages}

// Thresholds are the percentages of an allowance that notify, each at
// most once per balance; bit i of a balance's notified mask is
// Thresholds[i].
var Thresholds = []int64{70, 90, 100}

// amounts is a quantity per allowance type.
type amounts [3]int64

const (
	iData = iota
	iVoice
	iSMS
)

func (a *amounts) add(b amounts) {
	for i := range a {
		a[i] = saturatingAdd(a[i], b[i])
	}
}

func (a amounts) zero() bool { return a == amounts{} }

// saturatingAdd adds two non-negative amounts, stopping at the largest
// int64 instead of wrapping.
func saturatingAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return 1<<63 - 1
}
