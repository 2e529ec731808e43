// Package catalog owns what a project sells: plans (and, later, add-ons).
package catalog

import (
	"time"

	"cellgate/internal/metadata"
	"cellgate/internal/money"
)

// Plan is the API representation (reference §2.4).
type Plan struct {
	Object       string       `json:"object"`
	ID           string       `json:"id"`
	Allowances   Allowances   `json:"allowances"`
	Coverage     *Coverage    `json:"coverage"`
	CreatedAt    time.Time    `json:"createdAt"`
	Description  *string      `json:"description"`
	Image        *string      `json:"image"`
	Limits       *Limits      `json:"limits"`
	Metadata     metadata.Map `json:"metadata"`
	Name         string       `json:"name"`
	Price        money.Price  `json:"price"`
	Provider     string       `json:"provider"`
	Requirements Requirements `json:"requirements"`
	SimTypes     []string     `json:"simTypes"`
	Status       string       `json:"status"`
	Validity     Validity     `json:"validity"`
}

// Allowances per period; nil means unlimited.
type Allowances struct {
	DataBytes    *int64 `json:"dataBytes"`
	VoiceSeconds *int64 `json:"voiceSeconds"`
	SMSMessages  *int64 `json:"smsMessages"`
}

// Coverage names where a plan works.
type Coverage struct {
	Object    string   `json:"object"`
	ID        string   `json:"id"`
	Countries []string `json:"countries"`
	Name      string   `json:"name"`
}

// Limits are the plan's bandwidth and fair-use caps.
type Limits struct {
	DataBytes              *int64      `json:"dataBytes"`
	BandwidthBitsPerSecond *int64      `json:"bandwidthBitsPerSecond"`
	Throttling             *Throttling `json:"throttling"`
}

// Throttling slows the line down after a threshold.
type Throttling struct {
	ThresholdBytes         int64 `json:"thresholdBytes"`
	BandwidthBitsPerSecond int64 `json:"bandwidthBitsPerSecond"`
}

// Requirements say what a subscription to the plan needs. Each is none,
// present or verified (device: none or present).
type Requirements struct {
	Address      string `json:"address"`
	UserBirthday string `json:"user.birthday"`
	UserFullName string `json:"user.fullName"`
	Device       string `json:"device"`
}

// Validity is the length and kind of a plan's periods.
type Validity struct {
	Value          int    `json:"value"`
	Unit           string `json:"unit"`
	Type           string `json:"type"`
	MinimumPeriods int    `json:"minimumPeriods"`
}

// Enum values.
const (
	StatusDraft     = "draft"
	StatusPending   = "pending"
	StatusAvailable = "available"
	StatusArchived  = "archived"

	SIMTypeESIM = "eSIM"
	SIMTypePSIM = "pSIM"

	UnitDay   = "day"
	UnitMonth = "month"

	ValidityRecurring = "recurring"
	ValidityOneTime   = "oneTime"

	RequirementNone     = "none"
	RequirementPresent  = "present"
	RequirementVerified = "verified"
)

// Bounds on plan fields.
const (
	MaxValidityDays   = 365
	MaxValidityMonths = 12
	MaxMinimumPeriods = 36
	maxNameLength     = 100
	maxDescription    = 1000
)

// HasSIMType reports whether the plan can run on a SIM of this type.
func (p *Plan) HasSIMType(t string) bool {
	for _, s := range p.SimTypes {
		if s == t {
			return true
		}
	}
	return false
}
