package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Helpers for the renewal and delinquency scenarios. They follow the
// calendar of the worked timelines of docs/billing.md §3: a monthly plan
// activated 2030-01-10T00:00Z renews on the 10th of every month.

// blAt is an hour of 2030 on the worked timelines' calendar.
func blAt(m time.Month, day, hour int) time.Time {
	return time.Date(2030, m, day, hour, 0, 0, 0, time.UTC)
}

// blActivation is when every scenario's subscriptions activate; the
// others are the renewal (Feb 10, Mar 10) and the advance invoice time
// with 7 days (Feb 3) the scenarios refer to most.
var (
	blActivation = blAt(time.January, 10, 0)
	blJan10      = blActivation
	blFeb3       = blAt(time.February, 3, 0)
	blFeb10      = blAt(time.February, 10, 0)
	blMar10      = blAt(time.March, 10, 0)
)

// blSub creates a billed subscription for a new user on a monthly plan
// and activates it at blActivation.
func (w *world) blSub(extra map[string]any) sub {
	w.t.Helper()
	return w.blActivate(w.subscribe(w.plan(nil), w.user(nil), "auto", extra).ID)[0]
}

// blActivate pays the first invoices two minutes (the test provider's
// activation delay) before blActivation, so the subscriptions' first
// period starts there.
func (w *world) blActivate(ids ...string) []sub {
	w.t.Helper()
	w.advanceTo(blActivation.Add(-2 * time.Minute))
	for _, id := range ids {
		w.invoiceAction(w.firstInvoice(id).ID, "pay").Expect(http.StatusOK)
	}
	w.advanceTo(blActivation)
	out := make([]sub, len(ids))
	for i, id := range ids {
		s := w.sub(id)
		if s.Status != "active" || s.CurrentPeriod == nil || !s.CurrentPeriod.Start.Equal(blActivation) {
			w.t.Fatalf("subscription %s = %+v, want active from %s", id, s, blActivation.Format(time.RFC3339))
		}
		out[i] = s
	}
	return out
}

// blUser is the id of a subscription's user.
func blUser(s sub) string { id, _ := s.User["id"].(string); return id }

// blCause is a subscription's cancellationDetails.cause, "" when none.
func blCause(s sub) string { c, _ := s.CancellationDetails["cause"].(string); return c }

// blPeriod is an invoice's period, nil for the creation invoice.
func blPeriod(t testing.TB, inv invoice) *period {
	t.Helper()
	if inv.Period == nil {
		return nil
	}
	raw, err := json.Marshal(inv.Period)
	if err != nil {
		t.Fatal(err)
	}
	var p period
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("invoice period %v: %v", inv.Period, err)
	}
	return &p
}

// blPeriodInvoices lists a subscription's invoices for period n (renewal
// or restore), newest first.
func (w *world) blPeriodInvoices(subID string, n int) []invoice {
	w.t.Helper()
	var out []invoice
	for _, inv := range w.invoices("?limit=200&subscription=" + subID) {
		if p := blPeriod(w.t, inv); p != nil && p.Number == n {
			out = append(out, inv)
		}
	}
	return out
}

// blInvoice is the newest invoice of a subscription for period n.
func (w *world) blInvoice(subID string, n int) invoice {
	w.t.Helper()
	invs := w.blPeriodInvoices(subID, n)
	if len(invs) == 0 {
		w.t.Fatalf("subscription %s has no invoice for period %d", subID, n)
	}
	return invs[0]
}

// blNoInvoice fails when the subscription has an invoice for period n.
func (w *world) blNoInvoice(subID string, n int) {
	w.t.Helper()
	if invs := w.blPeriodInvoices(subID, n); len(invs) != 0 {
		w.t.Fatalf("subscription %s has %d invoices for period %d, want none: %+v", subID, len(invs), n, invs)
	}
}

// blCheckInvoice asserts an invoice's reason, status, period and due time.
func blCheckInvoice(t *testing.T, inv invoice, reason, status string, want period, dueAt *time.Time) {
	t.Helper()
	p := blPeriod(t, inv)
	if inv.Reason != reason || inv.Status != status || p == nil || p.Number != want.Number || !p.Start.Equal(want.Start) || !p.End.Equal(want.End) {
		t.Fatalf("invoice %s = %s %s period %+v, want %s %s period %+v", inv.ID, inv.Reason, inv.Status, p, reason, status, want)
	}
	switch {
	case dueAt == nil && inv.DueAt != nil:
		t.Fatalf("invoice %s dueAt = %s, want null", inv.ID, inv.DueAt)
	case dueAt != nil:
		mustEqualTime(t, "invoice dueAt", inv.DueAt, *dueAt)
	}
}

// blMonth is period n of the worked timelines' monthly calendar.
func blMonth(n int) period {
	return period{Number: n, Start: blActivation.AddDate(0, n-1, 0), End: blActivation.AddDate(0, n, 0)}
}

// blEvent is an event of a billing scenario: its type without the
// com.gigs. prefix, its time, the id of the resource it is about and, for
// credit notes, their invoice.
type blEvent struct {
	Type             string
	Time             time.Time
	Subject, Invoice string
}

// blLog lists the project's subscription, invoice and credit note events
// recorded at or after since, oldest first.
func (w *world) blLog(since time.Time) []blEvent {
	w.t.Helper()
	var newestFirst []blEvent
	after := ""
	for {
		var page struct {
			Items          []recordedEvent `json:"items"`
			MoreItemsAfter *string         `json:"moreItemsAfter"`
		}
		path := w.P("/events?limit=200")
		if after != "" {
			path += "&after=" + after
		}
		w.Get(path).Expect(http.StatusOK).Decode(&page)
		for _, e := range page.Items {
			typ := strings.TrimPrefix(e.Type, "com.gigs.")
			kind, _, _ := strings.Cut(typ, ".")
			if e.Time.Before(since) || (kind != "subscription" && kind != "invoice" && kind != "creditNote") {
				continue
			}
			var data struct{ ID, Invoice string }
			if err := json.Unmarshal(e.Data, &data); err != nil {
				w.t.Fatalf("event %s data: %v", e.Type, err)
			}
			newestFirst = append(newestFirst, blEvent{Type: typ, Time: e.Time, Subject: data.ID, Invoice: data.Invoice})
		}
		if page.MoreItemsAfter == nil {
			break
		}
		after = *page.MoreItemsAfter
	}
	slices.Reverse(newestFirst)
	return newestFirst
}

// blNames labels a subscription's resources for readable logs: "sub",
// its invoices "inv<period>" (the creation invoice "inv1", a restore
// invoice with an "r", a later invoice for the same period with a "'"),
// and "crn" for credit notes.
func (w *world) blNames(subID string) map[string]string {
	w.t.Helper()
	names := map[string]string{subID: "sub"}
	used := map[string]bool{}
	invs := w.invoices("?limit=200&subscription=" + subID)
	slices.Reverse(invs) // oldest first
	for _, inv := range invs {
		name := "inv1"
		if p := blPeriod(w.t, inv); p != nil {
			name = fmt.Sprintf("inv%d", p.Number)
		}
		if inv.Reason == "subscriptionRestore" {
			name += "r"
		}
		for used[name] {
			name += "'"
		}
		names[inv.ID], used[name] = name, true
	}
	return names
}

// blLines renders events as "Feb 13 00:00 invoice.overdue inv2" with the
// given names; an unnamed resource is shown by its id prefix.
func blLines(evs []blEvent, names map[string]string) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		name, ok := names[e.Subject]
		if !ok {
			name, _, _ = strings.Cut(e.Subject, "_")
		}
		out[i] = e.Time.UTC().Format("Jan 2 15:04") + " " + e.Type + " " + name
	}
	return out
}

// blExpectLog compares the events about subscription subID, its invoices
// and their credit notes since a time with want, in order.
func (w *world) blExpectLog(subID string, since time.Time, want ...string) {
	w.t.Helper()
	names := w.blNames(subID)
	var mine []blEvent
	for _, e := range w.blLog(since) {
		_, about := names[e.Subject]
		_, credits := names[e.Invoice]
		if about || credits {
			mine = append(mine, e)
		}
	}
	if got := blLines(mine, names); !slices.Equal(got, want) {
		w.t.Fatalf("events since %s:\n  got  %s\n  want %s", since.Format(time.RFC3339),
			strings.Join(got, "\n       "), strings.Join(want, "\n       "))
	}
}

// blExpectSub asserts a subscription's status, endedAt (nil: not set) and
// cancellation cause ("" = none).
func (w *world) blExpectSub(id, status string, endedAt *time.Time, cause string) sub {
	w.t.Helper()
	s := w.sub(id)
	if s.Status != status || blCause(s) != cause {
		w.t.Fatalf("subscription %s = %s cause %q, want %s cause %q", id, s.Status, blCause(s), status, cause)
	}
	if endedAt == nil && s.EndedAt != nil {
		w.t.Fatalf("subscription %s endedAt = %s, want null", id, s.EndedAt)
	}
	if endedAt != nil {
		mustEqualTime(w.t, "endedAt", s.EndedAt, *endedAt)
	}
	return s
}

// blPtr is a pointer to t, for optional times in tables.
func blPtr(t time.Time) *time.Time { return &t }
