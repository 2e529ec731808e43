// Package conformance is the contract every carrier provider must meet,
// as a test suite: the in-process simulator and an adapter reached over
// HTTP pass the same one. It moves time through the requests' Now, so it
// needs a provider that honours Now (a simulator or a carrier's sandbox).
package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"cellgate/internal/network"
)

// Run runs the contract against the providers newProvider returns. Each
// part uses its own project and ICCIDs, so one provider may serve all.
func Run(t *testing.T, newProvider func(t *testing.T) network.Provider) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"ProvisionIsIdempotent", provisionIsIdempotent},
		{"ActivationIsNotBeforeNow", activationIsNotBeforeNow},
		{"LineChangesOnAKnownLine", lineChanges},
		{"UnknownLinesAreNotFound", unknownLines},
		{"SwapMovesTheNumber", swap},
		{"PortingReachesAnOutcome", portingOutcome},
		{"PortingDeclinesMissingDetails", portingDeclines},
		{"PortingCancel", portingCancel},
		{"ESIMProfileState", esimProfile},
		{"UsageFeedHasNoGapsOrRepeats", usageFeed},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, &env{t: t, p: newProvider(t), project: "conf_" + random(6), now: start})
		})
	}
}

// start is a Monday morning, so business days are easy to follow.
var start = time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)

type env struct {
	t       *testing.T
	p       network.Provider
	project string
	now     time.Time
	keys    int
}

var ctx = context.Background()

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// iccid is a fresh 19-digit ICCID.
func iccid() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e13))
	return fmt.Sprintf("898829%013d", n)
}

// meta is a request's metadata with a fresh key at e.now.
func (e *env) meta() network.Meta {
	e.keys++
	return network.Meta{Key: fmt.Sprintf("%s-%d", e.project, e.keys), Project: e.project, Now: e.now}
}

func (e *env) read() network.Meta { return network.Meta{Project: e.project, Now: e.now} }

// line is an active line: provisioned, activated and past its ReadyAt.
func (e *env) line() network.LineRequest {
	e.t.Helper()
	id := iccid()
	if err := e.p.ProvisionESIM(ctx, network.ProvisionRequest{Meta: e.meta(), ICCID: id, MatchingID: random(8)}); err != nil {
		e.t.Fatalf("provision: %v", err)
	}
	l := network.LineRequest{Meta: e.meta(), ICCID: id, PhoneNumber: "+1555" + fmt.Sprint(1_000_000+len(id)*e.keys)}
	act, err := e.p.Activate(ctx, l)
	if err != nil {
		e.t.Fatalf("activate: %v", err)
	}
	if act.ReadyAt.After(e.now) {
		e.now = act.ReadyAt.Add(time.Minute)
	}
	return l
}

// at re-dates a line request with a fresh key at e.now.
func (e *env) at(l network.LineRequest) network.LineRequest {
	l.Meta = e.meta()
	return l
}

// wantCode checks err is a *network.Error with code and the retryable
// flag the contract gives it.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	ne, ok := network.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *network.Error with code %s", err, err, code)
	}
	if ne.Code != code {
		t.Fatalf("error code %s (%s), want %s", ne.Code, ne.Message, code)
	}
	if ne.Retryable != network.IsRetryable(err) || (ne.Retryable && code != network.CodeUnavailable && code != network.CodeTimeout && code != network.CodeRateLimited) {
		t.Fatalf("error %s is marked retryable=%v", code, ne.Retryable)
	}
}

func provisionIsIdempotent(t *testing.T, e *env) {
	req := network.ProvisionRequest{Meta: e.meta(), ICCID: iccid(), MatchingID: random(8)}
	for i := 0; i < 2; i++ {
		if err := e.p.ProvisionESIM(ctx, req); err != nil {
			t.Fatalf("provision #%d with the same key: %v", i+1, err)
		}
	}
	other := req
	other.MatchingID = random(8)
	wantCode(t, e.p.ProvisionESIM(ctx, other), network.CodeIdempotencyKeyReused)
	again := req
	again.Meta = e.meta()
	wantCode(t, e.p.ProvisionESIM(ctx, again), network.CodeProfileAlreadyExists)
	noKey := network.ProvisionRequest{Meta: e.read(), ICCID: iccid(), MatchingID: random(8)}
	wantCode(t, e.p.ProvisionESIM(ctx, noKey), network.CodeInvalidRequest)
	bad := network.ProvisionRequest{Meta: e.meta(), ICCID: "12ab", MatchingID: random(8)}
	wantCode(t, e.p.ProvisionESIM(ctx, bad), network.CodeInvalidRequest)
}

func activationIsNotBeforeNow(t *testing.T, e *env) {
	l := network.LineRequest{Meta: e.meta(), ICCID: iccid(), PhoneNumber: "+15550000001"}
	a1, err := e.p.Activate(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if !a1.ReadyAt.IsZero() && a1.ReadyAt.Before(e.now) {
		t.Fatalf("ready at %s, before now %s", a1.ReadyAt, e.now)
	}
	later := l
	later.Now = e.now.Add(time.Hour) // a retry later with the same key
	a2, err := e.p.Activate(ctx, later)
	if err != nil || !a2.ReadyAt.Equal(a1.ReadyAt) {
		t.Fatalf("the same key answered %v (%v), first %v", a2.ReadyAt, err, a1.ReadyAt)
	}
}

func lineChanges(t *testing.T, e *env) {
	l := e.line()
	for _, step := range []struct {
		name string
		call func(network.LineRequest) error
	}{{"restrict", func(r network.LineRequest) error { return e.p.Restrict(ctx, r) }},
		{"restore", func(r network.LineRequest) error { return e.p.Restore(ctx, r) }}} {
		r := e.at(l)
		for i := 0; i < 2; i++ {
			if err := step.call(r); err != nil {
				t.Fatalf("%s #%d: %v", step.name, i+1, err)
			}
		}
		e.now = e.now.Add(time.Hour)
	}
	data := int64(5 << 30)
	if err := e.p.ChangePlan(ctx, network.PlanChangeRequest{Meta: e.meta(), ICCID: l.ICCID, PhoneNumber: l.PhoneNumber,
		Allowances: network.Allowances{DataBytes: &data}}); err != nil {
		t.Fatalf("change plan: %v", err)
	}
	po := e.at(l)
	c1, err := e.p.PortOutCredentials(ctx, po)
	if err != nil {
		t.Fatalf("port-out credentials: %v", err)
	}
	c2, err := e.p.PortOutCredentials(ctx, po)
	if err != nil || c1 != c2 || c1.AccountNumber == "" || c1.PIN == "" || !c1.ExpiresAt.After(e.now) {
		t.Fatalf("port-out credentials %+v then %+v (%v)", c1, c2, err)
	}
	if err := e.p.Deactivate(ctx, e.at(l)); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	e.now = e.now.Add(time.Minute)
	wantCode(t, e.p.Restrict(ctx, e.at(l)), network.CodeLineNotActive)
}

func unknownLines(t *testing.T, e *env) {
	l := network.LineRequest{Meta: e.meta(), ICCID: iccid(), PhoneNumber: "+15550000002"}
	wantCode(t, e.p.Restrict(ctx, l), network.CodeLineNotFound)
	wantCode(t, e.p.Deactivate(ctx, e.at(l)), network.CodeLineNotFound)
	_, err := e.p.PortingStatus(ctx, network.PortingRef{Meta: e.read(), Reference: "prt_" + random(6)})
	wantCode(t, err, network.CodePortingNotFound)
	_, err = e.p.ESIMProfile(ctx, network.ProfileRequest{Meta: e.read(), ICCID: iccid()})
	wantCode(t, err, network.CodeProfileNotFound)
}

func swap(t *testing.T, e *env) {
	l := e.line()
	next := iccid()
	req := network.SwapRequest{Meta: e.meta(), PhoneNumber: l.PhoneNumber, OldICCID: l.ICCID, NewICCID: next}
	for i := 0; i < 2; i++ {
		if err := e.p.SwapSIM(ctx, req); err != nil {
			t.Fatalf("swap #%d: %v", i+1, err)
		}
	}
	e.now = e.now.Add(time.Minute)
	moved := l
	moved.ICCID = next
	if err := e.p.Restrict(ctx, e.at(moved)); err != nil {
		t.Fatalf("restrict the new SIM: %v", err)
	}
	wantCode(t, e.p.Restrict(ctx, e.at(l)), network.CodeLineNotActive)
}

func porting(e *env, ref string) network.PortingRequest {
	return network.PortingRequest{Meta: e.meta(), Reference: ref, PhoneNumber: "+1555" + fmt.Sprint(2_000_000+e.keys),
		DonorProvider: "att", AccountNumber: "123456789", AccountPIN: "1234", FirstName: "Ada", LastName: "Lovelace", PostalCode: "94110"}
}

// outcome reads a porting at its CompletesAt and wants it finished.
func (e *env) outcome(t *testing.T, st network.PortingStatus) network.PortingStatus {
	t.Helper()
	if st.Status != network.PortingPending || !st.CompletesAt.After(e.now) {
		t.Fatalf("a new porting is %+v, want pending and completing after %s", st, e.now)
	}
	before := st.CompletesAt.Add(-time.Second)
	if mid, err := e.p.PortingStatus(ctx, network.PortingRef{Meta: network.Meta{Project: e.project, Now: before}, Reference: st.Reference}); err != nil || mid.Status != network.PortingPending {
		t.Fatalf("just before completesAt the porting is %+v (%v)", mid, err)
	}
	end, err := e.p.PortingStatus(ctx, network.PortingRef{Meta: network.Meta{Project: e.project, Now: st.CompletesAt}, Reference: st.Reference})
	if err != nil {
		t.Fatal(err)
	}
	switch end.Status {
	case network.PortingCompleted:
		if end.DeclineCode != "" {
			t.Fatalf("a completed porting has decline code %s", end.DeclineCode)
		}
	case network.PortingDeclined:
		if !slices.Contains(network.DeclineCodes, end.DeclineCode) {
			t.Fatalf("decline code %q is not one of the reference's", end.DeclineCode)
		}
	default:
		t.Fatalf("at completesAt the porting is %+v", end)
	}
	return end
}

func portingOutcome(t *testing.T, e *env) {
	completed := 0
	for i := 0; i < 6; i++ {
		req := porting(e, fmt.Sprintf("prt_%s_%d", random(4), i))
		st, err := e.p.SubmitPorting(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.p.SubmitPorting(ctx, req)
		if err != nil || again != st {
			t.Fatalf("the same key answered %+v (%v), first %+v", again, err, st)
		}
		if e.outcome(t, st).Status == network.PortingCompleted {
			completed++
		}
	}
	if completed == 0 {
		t.Fatal("none of 6 complete portings completed")
	}
}

func portingDeclines(t *testing.T, e *env) {
	req := porting(e, "prt_"+random(6))
	req.AccountPIN = ""
	st, err := e.p.SubmitPorting(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if end := e.outcome(t, st); end.Status != network.PortingDeclined || end.DeclineCode != "portingAccountPinRequiredOrInvalid" {
		t.Fatalf("a porting without PIN ended %+v", end)
	}
	e.now = st.CompletesAt.Add(time.Hour)
	fix := network.PortingRequest{Meta: e.meta(), Reference: req.Reference, AccountPIN: "4321"}
	st, err = e.p.UpdatePorting(ctx, fix)
	if err != nil {
		t.Fatalf("update a declined porting: %v", err)
	}
	if end := e.outcome(t, st); end.DeclineCode == "portingAccountPinRequiredOrInvalid" {
		t.Fatalf("the PIN given, the porting still ended %+v", end)
	}
}

func portingCancel(t *testing.T, e *env) {
	req := porting(e, "prt_"+random(6))
	st, err := e.p.SubmitPorting(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	cancel := network.PortingRef{Meta: e.meta(), Reference: req.Reference}
	c, err := e.p.CancelPorting(ctx, cancel)
	if err != nil || c.Status != network.PortingCanceled {
		t.Fatalf("cancel a pending porting: %+v (%v)", c, err)
	}
	after, err := e.p.PortingStatus(ctx, network.PortingRef{Meta: network.Meta{Project: e.project, Now: st.CompletesAt.Add(time.Hour)}, Reference: req.Reference})
	if err != nil || after.Status != network.PortingCanceled {
		t.Fatalf("a canceled porting later reads %+v (%v)", after, err)
	}
	done := porting(e, "prt_"+random(6))
	done.DonorProvider = "tmobile"
	st, err = e.p.SubmitPorting(ctx, done)
	if err != nil {
		t.Fatal(err)
	}
	e.now = st.CompletesAt
	_, err = e.p.CancelPorting(ctx, network.PortingRef{Meta: e.meta(), Reference: done.Reference})
	wantCode(t, err, network.CodePortingNotCancelable)
}

var profileStates = []string{network.ProfileDeleted, network.ProfileDisabled, network.ProfileEnabled, network.ProfileInstalled, network.ProfileUnknown}

func esimProfile(t *testing.T, e *env) {
	read := func(id string) network.ESIMProfileState {
		t.Helper()
		st, err := e.p.ESIMProfile(ctx, network.ProfileRequest{Meta: e.read(), ICCID: id})
		if err != nil {
			t.Fatalf("eSIM profile: %v", err)
		}
		if st.ICCID != id || !slices.Contains(profileStates, st.Status) || st.UpdatedAt.After(e.now) {
			t.Fatalf("eSIM profile %+v at %s", st, e.now)
		}
		return st
	}
	l := e.line()
	e.now = e.now.Add(24 * time.Hour)
	if st := read(l.ICCID); st.Status != network.ProfileEnabled && st.Status != network.ProfileUnknown {
		t.Fatalf("the profile of an active line is %s", st.Status)
	}
	if err := e.p.Deactivate(ctx, e.at(l)); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	if st := read(l.ICCID); st.Status == network.ProfileEnabled {
		t.Fatal("the profile of a deactivated line is still enabled")
	}
}

func usageFeed(t *testing.T, e *env) {
	lines := map[string]bool{}
	for i := 0; i < 3; i++ {
		lines[e.line().ICCID] = true
	}
	type id struct {
		iccid string
		start time.Time
	}
	read := func(now time.Time, cursor string, limit int) ([]network.UsageRecord, string) {
		t.Helper()
		var all []network.UsageRecord
		for {
			b, err := e.p.Usage(ctx, network.UsageRequest{Meta: network.Meta{Project: e.project, Now: now}, Cursor: cursor, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Records) == 0 {
				if b.NextCursor != cursor {
					t.Fatalf("an empty batch moved the cursor from %q to %q", cursor, b.NextCursor)
				}
				return all, cursor
			}
			all, cursor = append(all, b.Records...), b.NextCursor
		}
	}
	check := func(recs []network.UsageRecord, now time.Time) map[id]bool {
		t.Helper()
		seen := map[id]bool{}
		for i, r := range recs {
			k := id{r.ICCID, r.Start}
			switch {
			case seen[k]:
				t.Fatalf("record %v came twice", k)
			case !lines[r.ICCID]:
				t.Fatalf("record of another project's line %s", r.ICCID)
			case !r.End.After(r.Start) || r.ReportedAt.Before(r.End) || r.ReportedAt.After(now):
				t.Fatalf("record %+v at %s", r, now)
			case !slices.Contains([]string{network.RoamingNone, network.RoamingDomestic, network.RoamingInternational}, r.Roaming):
				t.Fatalf("roaming %q", r.Roaming)
			case i > 0 && r.ReportedAt.Before(recs[i-1].ReportedAt):
				t.Fatalf("record %d reported before the one before it", i)
			}
			seen[k] = true
		}
		return seen
	}
	first := e.now.Add(10 * 24 * time.Hour)
	paged, cursor := read(first, "", 7)
	whole, _ := read(first, "", 0)
	if len(paged) == 0 || len(paged) != len(whole) {
		t.Fatalf("pages of 7 gave %d records, one read %d", len(paged), len(whole))
	}
	check(paged, first)
	second := first.Add(3 * 24 * time.Hour)
	more, _ := read(second, cursor, 11)
	all := check(append(paged, more...), second)
	fresh, _ := read(second, "", 0)
	if len(fresh) != len(all) || len(more) == 0 {
		t.Fatalf("reading on from the cursor gave %d+%d records, from the start %d", len(paged), len(more), len(fresh))
	}
	for k := range check(fresh, second) {
		if !all[k] {
			t.Fatalf("record %v was missed by the cursor", k)
		}
	}
}
