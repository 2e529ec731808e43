package network

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// ESIM is what cellgate allocates for a new eSIM before it asks the
// carrier to register it.
type ESIM struct {
	ICCID      string
	MatchingID string
	// ActivationCode is what a device installs the profile with:
	// LPA:1$<SM-DP+ host>$<matching id>. It is a secret.
	ActivationCode string
}

// AllocateESIM derives a new eSIM's ICCID (in the provider's issuer range)
// and matching id from the SIM id: stable and unique without shared
// state, so the SIM row gets them in its own transaction.
func AllocateESIM(info ProviderInfo, simID string) ESIM {
	sum := sha256.Sum256([]byte(info.ID + "/" + simID))
	serial := binary.BigEndian.Uint64(sum[:8]) % 100_000_000_000
	code := fmt.Sprintf("%X", sum[8:16])
	host := info.SMDPHost
	if host == "" {
		host = DefaultSMDPHost
	}
	matching := fmt.Sprintf("%s-%s-%s", code[:4], code[4:9], code[9:16])
	return ESIM{
		// 89 (telecom) + 882 (global) + 2-digit issuer + 11-digit serial + check digit = 19 digits.
		ICCID:          withLuhn(fmt.Sprintf("89882%s%011d", info.ICCIDIssuer, serial)),
		MatchingID:     matching,
		ActivationCode: fmt.Sprintf("LPA:1$%s$%s", host, matching),
	}
}

// withLuhn appends the Luhn check digit that ICCIDs end with.
func withLuhn(digits string) string {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}
