package network

import (
	"strconv"
	"strings"
	"time"
)

// Porting test numbers steer the simulator's outcome, so a test suite can
// walk each path on purpose (docs/testing.md). They are +1 201 555 01XX:
// 555-0100 to 555-0199 are set aside for fiction in every North American
// area code, so no real subscriber's number is one.
const (
	testNumberPrefix = "+120155501"
	// TestPortingPIN is the account PIN the donor of a test number holds;
	// any other PIN is declined with portingAccountPinRequiredOrInvalid.
	TestPortingPIN = "1234"
	// TestNumberNeverCompletes (XX = 99) stays pending at the donor for a
	// year: the porting expires first.
	TestNumberNeverCompletes = testNumberPrefix + "99"
)

// TestNumberDeclining is the test number whose first submission is
// declined with code; a retry is decided on its data. It is "" when code
// is not a decline code.
func TestNumberDeclining(code string) string {
	for i, c := range DeclineCodes {
		if c == code {
			return testNumberPrefix + twoDigits(i+1)
		}
	}
	return ""
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func isTestNumber(phone string) bool {
	return len(phone) == len(testNumberPrefix)+2 && strings.HasPrefix(phone, testNumberPrefix)
}

// decideTestNumber decides a test number's porting: XX 01-16 declines the
// first submission with the XX-th decline code (network.DeclineCodes),
// and every submission with a PIN other than TestPortingPIN is declined;
// otherwise the donor's business days pass and the port completes. No
// random declines: a test walks the same path every time.
func (s *Simulator) decideTestNumber(p *porting, now time.Time) {
	xx, _ := strconv.Atoi(p.req.PhoneNumber[len(testNumberPrefix):])
	decline := func(code, msg string) {
		p.outcome, p.code, p.message = PortingDeclined, code, msg
		p.resolvesAt = addBusinessDays(now, 1)
	}
	switch {
	case xx == 99:
		p.resolvesAt = addBusinessDays(now, 260)
	case xx >= 1 && xx <= len(DeclineCodes) && p.attempt == 0:
		decline(DeclineCodes[xx-1], "The donor carrier declined the port (test number).")
	case p.req.AccountPIN != TestPortingPIN:
		decline("portingAccountPinRequiredOrInvalid", "The account PIN does not match the donor carrier's records.")
	default:
		p.resolvesAt = addBusinessDays(now, s.donorDays(p.req.DonorProvider))
	}
}
