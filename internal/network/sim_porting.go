package network

import (
	"context"
	"strconv"
	"time"
)

// porting is a port-in at the simulated donor carrier. Its outcome is
// drawn when it is submitted and shows at resolvesAt.
type porting struct {
	req PortingRequest
	// key is the idempotency key of the last submission or update: the
	// same call repeated after a restart (which empties the answers kept
	// by key) gets the porting's status instead of a second effect.
	key                     string
	attempt                 int
	submittedAt, resolvesAt time.Time
	outcome, code, message  string
	canceledAt              time.Time
}

func (p *porting) status(now time.Time) PortingStatus {
	st := PortingStatus{Reference: p.req.Reference}
	switch {
	case !p.canceledAt.IsZero():
		st.Status, st.UpdatedAt = PortingCanceled, p.canceledAt
	case now.Before(p.resolvesAt):
		st.Status, st.UpdatedAt, st.CompletesAt = PortingPending, p.submittedAt, p.resolvesAt
	default:
		st.Status, st.UpdatedAt = p.outcome, p.resolvesAt
		st.DeclineCode, st.DeclineMessage = p.code, p.message
	}
	return st
}

// SubmitPorting asks the donor to release the number.
func (s *Simulator) SubmitPorting(ctx context.Context, req PortingRequest) (PortingStatus, error) {
	return call(ctx, s, OpSubmitPorting, req.Meta, req, req.Reference, func() (PortingStatus, error) {
		if req.Reference == "" || req.PhoneNumber == "" {
			return PortingStatus{}, Errorf(CodeInvalidRequest, "reference and phoneNumber are required")
		}
		if p, ok := s.portings[req.Reference]; ok {
			if p.key == req.Key {
				return p.status(req.Now), nil
			}
			if st := p.status(req.Now).Status; st != PortingDeclined && st != PortingCanceled {
				return PortingStatus{}, Errorf(CodePortingAlreadyExists, "porting %s is %s", req.Reference, st)
			}
		}
		p := &porting{req: req, key: req.Key}
		s.decide(p, req.Now)
		if err := s.rememberPorting(ctx, p); err != nil {
			return PortingStatus{}, err
		}
		s.portings[req.Reference] = p
		return p.status(req.Now), nil
	})
}

// UpdatePorting corrects the details of a pending or declined porting and
// submits it again.
func (s *Simulator) UpdatePorting(ctx context.Context, req PortingRequest) (PortingStatus, error) {
	return call(ctx, s, OpUpdatePorting, req.Meta, req, req.Reference, func() (PortingStatus, error) {
		old, ok := s.portings[req.Reference]
		if !ok {
			return PortingStatus{}, Errorf(CodePortingNotFound, "no porting %s", req.Reference)
		}
		if old.key == req.Key {
			return old.status(req.Now), nil
		}
		if st := old.status(req.Now).Status; st == PortingCompleted || st == PortingCanceled {
			return PortingStatus{}, Errorf(CodePortingNotUpdatable, "porting %s is %s", req.Reference, st)
		}
		p := *old
		merged := p.req
		for _, f := range []struct {
			dst *string
			v   string
		}{{&merged.PhoneNumber, req.PhoneNumber}, {&merged.ICCID, req.ICCID},
			{&merged.DonorProvider, req.DonorProvider}, {&merged.AccountNumber, req.AccountNumber}, {&merged.AccountPIN, req.AccountPIN},
			{&merged.FirstName, req.FirstName}, {&merged.LastName, req.LastName}, {&merged.PostalCode, req.PostalCode}} {
			if f.v != "" {
				*f.dst = f.v
			}
		}
		p.req, p.key = merged, req.Key
		p.attempt++
		s.decide(&p, req.Now)
		if err := s.rememberPorting(ctx, &p); err != nil {
			return PortingStatus{}, err
		}
		*old = p
		return p.status(req.Now), nil
	})
}

// decide draws the porting's outcome: missing details are declined with
// their own code after one business day; a complete request completes
// after the donor's business days, or is declined at the profile's rate.
func (s *Simulator) decide(p *porting, now time.Time) {
	r := p.req
	p.submittedAt, p.canceledAt = now, time.Time{}
	p.outcome, p.code, p.message = PortingCompleted, "", ""
	decline := func(code, msg string) { p.outcome, p.code, p.message = PortingDeclined, code, msg }
	switch {
	case r.AccountNumber == "":
		decline("portingAccountNumberRequiredOrInvalid", "The donor carrier needs the account number.")
	case r.AccountPIN == "":
		decline("portingAccountPinRequiredOrInvalid", "The donor carrier needs the account PIN.")
	case r.FirstName == "":
		decline("portingFirstNameRequiredOrInvalid", "The donor carrier needs the account holder's first name.")
	case r.LastName == "":
		decline("portingLastNameRequiredOrInvalid", "The donor carrier needs the account holder's last name.")
	case r.DonorProvider == s.Info.ID:
		decline("portingSameNewAndOldNetworkProvider", "The number is already with this carrier.")
	case isTestNumber(r.PhoneNumber):
		s.decideTestNumber(p, now)
		return
	case s.chance(s.Profile.Porting.DeclineRate, "porting", r.Reference, strconv.Itoa(p.attempt)):
		decline(s.pick(s.Profile.Porting.DeclineCodes, "declineCode", r.Reference, strconv.Itoa(p.attempt)), "The donor carrier declined the port (simulated).")
	}
	days := 1
	if p.outcome == PortingCompleted {
		days = s.donorDays(r.DonorProvider)
	}
	p.resolvesAt = addBusinessDays(now, days)
}

// donorDays is the business days a port from donor takes.
func (s *Simulator) donorDays(donor string) int {
	if days := s.Profile.Porting.BusinessDays[donor]; days > 0 {
		return days
	}
	return s.Profile.Porting.BusinessDays["*"]
}

// CancelPorting withdraws a pending porting.
func (s *Simulator) CancelPorting(ctx context.Context, req PortingRef) (PortingStatus, error) {
	return call(ctx, s, OpCancelPorting, req.Meta, req, req.Reference, func() (PortingStatus, error) {
		p, ok := s.portings[req.Reference]
		if !ok {
			return PortingStatus{}, Errorf(CodePortingNotFound, "no porting %s", req.Reference)
		}
		switch st := p.status(req.Now).Status; st {
		case PortingPending:
			c := *p
			c.canceledAt = req.Now
			if err := s.rememberPorting(ctx, &c); err != nil {
				return PortingStatus{}, err
			}
			*p = c
		case PortingCanceled:
		default:
			return PortingStatus{}, Errorf(CodePortingNotCancelable, "porting %s is %s", req.Reference, st)
		}
		return p.status(req.Now), nil
	})
}

// PortingStatus reads the porting at Now.
func (s *Simulator) PortingStatus(ctx context.Context, req PortingRef) (PortingStatus, error) {
	return call(ctx, s, OpPortingStatus, req.Meta, req, req.Reference, func() (PortingStatus, error) {
		p, ok := s.portings[req.Reference]
		if !ok {
			return PortingStatus{}, Errorf(CodePortingNotFound, "no porting %s", req.Reference)
		}
		return p.status(req.Now), nil
	})
}

// addBusinessDays moves t forward by n weekdays, keeping the time of day.
func addBusinessDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}
