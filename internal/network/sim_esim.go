package network

import (
	"context"
	"time"
)

// esimProfile is a registered eSIM profile.
type esimProfile struct {
	project              string
	registeredAt         time.Time
	installAt, deletedAt time.Time
	matchingID, smdpHost string
}

// ProvisionESIM registers the profile cellgate allocated; the device
// installs it after the profile's install delay.
func (s *Simulator) ProvisionESIM(ctx context.Context, req ProvisionRequest) error {
	_, err := call(ctx, s, OpProvisionESIM, req.Meta, req, req.ICCID, func() (struct{}, error) {
		if err := checkICCID(req.ICCID); err != nil {
			return struct{}{}, err
		}
		if req.MatchingID == "" {
			return struct{}{}, Errorf(CodeInvalidRequest, "matchingId is required")
		}
		if _, ok := s.profiles[req.ICCID]; ok {
			return struct{}{}, Errorf(CodeProfileAlreadyExists, "an eSIM profile with ICCID %s is already registered", req.ICCID)
		}
		s.profiles[req.ICCID] = &esimProfile{project: req.Project, registeredAt: req.Now,
			installAt:  req.Now.Add(s.between(s.Profile.ESIM.InstallDelay, "install", req.ICCID)),
			matchingID: req.MatchingID, smdpHost: req.SMDPHost}
		return struct{}{}, nil
	})
	return err
}

// ESIMProfile reads the profile's state at Now: installed once the device
// downloaded it, enabled while its line is in service, disabled after the
// line ended, deleted after a SIM swap. A carrier that does not track
// profiles answers unknown.
func (s *Simulator) ESIMProfile(ctx context.Context, req ProfileRequest) (ESIMProfileState, error) {
	return call(ctx, s, OpESIMProfile, req.Meta, req, req.ICCID, func() (ESIMProfileState, error) {
		p, ok := s.profiles[req.ICCID]
		if !ok || p.registeredAt.After(req.Now) {
			return ESIMProfileState{}, Errorf(CodeProfileNotFound, "no eSIM profile with ICCID %s", req.ICCID)
		}
		st := ESIMProfileState{ICCID: req.ICCID, Status: ProfileUnknown, UpdatedAt: p.registeredAt}
		if !s.Profile.ESIM.TracksState {
			return st, nil
		}
		if !p.installAt.After(req.Now) {
			st.Status, st.UpdatedAt = ProfileInstalled, p.installAt
			if l, ok := s.lines[req.ICCID]; ok {
				for _, c := range l.changes {
					if c.at.After(req.Now) {
						break
					}
					at := c.at
					if at.Before(p.installAt) {
						at = p.installAt
					}
					switch c.state {
					case lineActive, lineRestricted:
						st.Status, st.UpdatedAt = ProfileEnabled, at
					case lineDeactivated:
						if st.Status == ProfileEnabled {
							st.Status, st.UpdatedAt = ProfileDisabled, at
						}
					}
				}
			}
		}
		if !p.deletedAt.IsZero() && !p.deletedAt.After(req.Now) {
			st.Status, st.UpdatedAt = ProfileDeleted, p.deletedAt
		}
		return st, nil
	})
}
