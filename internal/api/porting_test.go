package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// portingView is a porting as the API returns it.
type portingView struct {
	ID               string     `json:"id"`
	Status           string     `json:"status"`
	PhoneNumber      string     `json:"phoneNumber"`
	Required         []string   `json:"required"`
	AccountPinExists bool       `json:"accountPinExists"`
	DeclinedAttempts int        `json:"declinedAttempts"`
	DeclinedCode     *string    `json:"declinedCode"`
	Subscription     *string    `json:"subscription"`
	LastRequestedAt  *time.Time `json:"lastRequestedAt"`
	CompletedAt      *time.Time `json:"completedAt"`
	ExpiredAt        *time.Time `json:"expiredAt"`
	CanceledAt       *time.Time `json:"canceledAt"`
	DonorProvider    *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"donorProvider"`
}

// testNumber is the porting test number that completes when the PIN is
// network.TestPortingPIN (docs/testing.md).
const testNumber = "+12015550100"

// donorID finds a service provider of the test provider by name.
func (w *world) donorID(name string) string {
	w.t.Helper()
	var page struct {
		Items []struct{ ID, Name string } `json:"items"`
	}
	w.Get("/serviceProviders?limit=200").Expect(http.StatusOK).Decode(&page)
	for _, it := range page.Items {
		if it.Name == name {
			return it.ID
		}
	}
	w.t.Fatalf("no service provider %q in %+v", name, page.Items)
	return ""
}

func (w *world) draft(user, phone string) portingView {
	w.t.Helper()
	var p portingView
	w.Post(w.P("/portings"), map[string]any{"phoneNumber": phone, "provider": "test", "user": user}).Expect(http.StatusCreated).Decode(&p)
	return p
}

func (w *world) porting(id string) portingView {
	w.t.Helper()
	var p portingView
	w.Get(w.P("/portings/" + id)).Expect(http.StatusOK).Decode(&p)
	return p
}

func (w *world) patchPorting(id string, body map[string]any) portingView {
	w.t.Helper()
	var p portingView
	w.Patch(w.P("/portings/"+id), body).Expect(http.StatusOK).Decode(&p)
	return p
}

// holder is what every US donor needs, with the test donor's PIN.
func holder(donor string) map[string]any {
	return map[string]any{"donorProvider": donor, "accountNumber": "123456789", "accountPin": network.TestPortingPIN,
		"firstName": "Jerry", "lastName": "Seinfeld"}
}

// toMonday moves the clock to the next Monday, 09:00: business days
// then run without a weekend in between.
func (w *world) toMonday() {
	w.t.Helper()
	now := w.now()
	days := (8 - int(now.Weekday())) % 7
	if days == 0 {
		days = 7
	}
	y, m, d := now.AddDate(0, 0, days).Date()
	w.advanceTo(time.Date(y, m, d, 9, 0, 0, 0, time.UTC))
}

// portedSub creates a subscription that ports phone in: draft, then the
// subscription, then the holder's details.
func (w *world) portedSub(phone string, details map[string]any) (sub, portingView) {
	w.t.Helper()
	user := w.user(nil)
	p := w.draft(user, phone)
	s := w.subscribe(w.plan(nil), user, "auto", map[string]any{"porting": p.ID})
	w.patchPorting(p.ID, details)
	return s, w.porting(p.ID)
}

// TestPortingInCompletesAfterTheDonorsBusinessDays: a complete porting is
// requested at once and completes after the donor carrier's business days
// (AT&T 2, T-Mobile 1, Verizon 3, others 2, counting from Monday 09:00);
// the subscription then activates with the ported number.
func TestPortingInCompletesAfterTheDonorsBusinessDays(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i, tc := range []struct {
			donor string
			days  int
		}{{"AT&T", 2}, {"T-Mobile", 1}, {"Verizon", 3}, {"Cricket Wireless", 2}} {
			t.Run(tc.donor, func(t *testing.T) {
				w.advanceTo(worldStart.AddDate(0, 0, 7*i)) // a Monday, 09:00
				start := w.now()
				number := fmt.Sprintf("+120155501%d", 20+i) // clean test numbers
				details := holder(w.donorID(tc.donor))
				if tc.donor == "Verizon" {
					details["address"] = map[string]any{"line1": "129 West 81st Street", "city": "New York", "state": "NY", "postalCode": "10024", "country": "US"}
				}
				s, p := w.portedSub(number, details)
				if s.Status != "pending" || s.PhoneNumber == nil || *s.PhoneNumber != number {
					t.Fatalf("subscription = %+v, want pending with the ported number", s)
				}
				if p.Status != "requested" || !p.AccountPinExists || len(p.Required) != 0 || p.LastRequestedAt == nil {
					t.Fatalf("porting after the details = %+v, want requested", p)
				}
				done := start.AddDate(0, 0, tc.days) // Monday plus weekdays only
				w.advanceTo(done.Add(-time.Minute))
				if got := w.porting(p.ID); got.Status != "requested" {
					t.Fatalf("porting a minute before %s = %s, want requested", done, got.Status)
				}
				w.advance(5 * time.Minute) // completion, then the test provider's 2-minute activation
				got := w.porting(p.ID)
				if got.Status != "completed" || got.CompletedAt == nil || !got.CompletedAt.Equal(done) {
					t.Fatalf("porting = %+v, want completed at %s", got, done)
				}
				act := w.sub(s.ID)
				if act.Status != "active" || act.PhoneNumber == nil || *act.PhoneNumber != number || act.SIM == nil {
					t.Fatalf("subscription after the port = %+v", act)
				}
				mustEqualTime(t, "activatedAt", act.ActivatedAt, done.Add(2*time.Minute))
				if want := []string{"com.gigs.porting.created", "com.gigs.porting.updated", "com.gigs.porting.updated",
					"com.gigs.porting.requested", "com.gigs.porting.completed"}; !slices.Equal(types(w.eventsOf(p.ID)), want) {
					t.Fatalf("porting events = %v, want %v", types(w.eventsOf(p.ID)), want)
				}
			})
		}
	})
}

// TestEachDeclineCodeIsFixedByUpdatingThePorting: the carrier's decline
// shows its code (porting.declined, declinedAttempts); a PATCH that fixes
// the porting sends it again, and it completes.
func TestEachDeclineCodeIsFixedByUpdatingThePorting(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		donor := w.donorID("T-Mobile")
		cases := []struct{ name, number, code string }{{"wrong PIN", "+12015550150", "portingAccountPinRequiredOrInvalid"}}
		for _, code := range network.DeclineCodes {
			cases = append(cases, struct{ name, number, code string }{code, network.TestNumberDeclining(code), code})
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w.toMonday()
				details := holder(donor)
				if tc.name == "wrong PIN" {
					details["accountPin"] = "97531864"
				}
				s, p := w.portedSub(tc.number, details)
				if p.Status != "requested" {
					t.Fatalf("porting = %+v, want requested", p)
				}
				w.advance(24 * time.Hour) // a decline comes after one business day
				got := w.porting(p.ID)
				if got.Status != "declined" || got.DeclinedCode == nil || *got.DeclinedCode != tc.code || got.DeclinedAttempts != 1 {
					t.Fatalf("porting = %+v, want declined with %s", got, tc.code)
				}
				if evs := types(w.eventsOf(p.ID)); evs[len(evs)-1] != "com.gigs.porting.declined" {
					t.Fatalf("events = %v, want porting.declined last", evs)
				}
				if st := w.sub(s.ID).Status; st != "pending" {
					t.Fatalf("subscription is %s while its porting is declined, want pending", st)
				}
				fixed := w.patchPorting(p.ID, map[string]any{"accountPin": network.TestPortingPIN, "firstName": "Jerome"})
				if fixed.Status != "pending" {
					t.Fatalf("fixed porting answered %s, want pending (on its way to the carrier)", fixed.Status)
				}
				if got := w.porting(p.ID); got.Status != "requested" || got.DeclinedAttempts != 1 {
					t.Fatalf("retried porting = %+v, want requested", got)
				}
				w.advance(24*time.Hour + 5*time.Minute) // T-Mobile: one business day, then activation
				if got := w.porting(p.ID); got.Status != "completed" {
					t.Fatalf("retried porting = %+v, want completed", got)
				}
				if got := w.sub(s.ID); got.Status != "active" || *got.PhoneNumber != tc.number {
					t.Fatalf("subscription = %+v, want active with %s", got, tc.number)
				}
			})
		}
	})
}

// TestPortingExpiresAndEndsItsSubscription: a porting that has not
// completed 30 days after its subscription was created expires; the
// subscription ends with cause portingExpired and the carrier withdraws
// the request.
func TestPortingExpiresAndEndsItsSubscription(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		carriers := network.Default()
		w := newWorldOn(t, db, carriers)
		s, p := w.portedSub(network.TestNumberNeverCompletes, holder(w.donorID("AT&T")))
		w.advance(30*24*time.Hour - time.Minute)
		if got := w.porting(p.ID); got.Status != "requested" {
			t.Fatalf("porting a minute before expiry = %s, want requested", got.Status)
		}
		w.advance(time.Minute)
		got := w.porting(p.ID)
		expiry := worldStart.Add(30 * 24 * time.Hour)
		if got.Status != "expired" || got.ExpiredAt == nil || !got.ExpiredAt.Equal(expiry) || got.AccountPinExists {
			t.Fatalf("porting = %+v, want expired at %s with its PIN forgotten", got, expiry)
		}
		ended := w.sub(s.ID)
		if ended.Status != "ended" || ended.CancellationDetails["cause"] != "portingExpired" {
			t.Fatalf("subscription = %+v, want ended with cause portingExpired", ended)
		}
		// A finished porting changes no more.
		w.Patch(w.P("/portings/"+p.ID), map[string]any{"firstName": "X"}).ExpectError(http.StatusConflict, "conflict", "portingNotUpdatable")
		sim, _ := carriers.Provider("test")
		if n := sim.(*network.Simulator).Effects(network.OpCancelPorting, p.ID); n != 1 {
			t.Fatalf("the carrier canceled the expired porting %d times, want 1", n)
		}
	})
}

// TestCanceledPortingLeavesTheLineAPoolNumber: a porting can be canceled
// while pending, informationRequired or requested; the subscription
// waiting for it takes a number from the pool and activates, and the
// carrier withdraws a request it had. Other statuses are not cancelable.
func TestCanceledPortingLeavesTheLineAPoolNumber(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		carriers := network.Default()
		w := newWorldOn(t, db, carriers)
		// With the carrier: requested.
		s, p := w.portedSub(testNumber, holder(w.donorID("AT&T")))
		var canceled portingView
		w.Post(w.P("/portings/"+p.ID+"/cancel"), nil).Expect(http.StatusOK).Decode(&canceled)
		if canceled.Status != "canceled" || canceled.CanceledAt == nil || canceled.AccountPinExists {
			t.Fatalf("canceled porting = %+v", canceled)
		}
		w.Post(w.P("/portings/"+p.ID+"/cancel"), nil).ExpectError(http.StatusConflict, "conflict", "portingAlreadyCanceled")
		got := w.sub(s.ID)
		if got.PhoneNumber == nil || *got.PhoneNumber == testNumber {
			t.Fatalf("subscription after the cancel = %+v, want a pool number", got)
		}
		w.advance(5 * time.Minute)
		if got := w.sub(s.ID); got.Status != "active" {
			t.Fatalf("subscription = %s, want active on its pool number", got.Status)
		}
		sim, _ := carriers.Provider("test")
		if n := sim.(*network.Simulator).Effects(network.OpCancelPorting, p.ID); n != 1 {
			t.Fatalf("carrier cancels = %d, want 1", n)
		}
		if evs := types(w.eventsOf(p.ID)); evs[len(evs)-1] != "com.gigs.porting.canceled" {
			t.Fatalf("events = %v, want porting.canceled last", evs)
		}
		// Waiting for information: canceled without a carrier call.
		user := w.user(nil)
		d := w.draft(user, "+12015550130")
		s2 := w.subscribe(w.plan(nil), user, "auto", map[string]any{"porting": d.ID})
		if got := w.porting(d.ID); got.Status != "informationRequired" {
			t.Fatalf("porting without details = %s", got.Status)
		}
		w.Post(w.P("/portings/"+d.ID+"/cancel"), map[string]any{}).Expect(http.StatusOK)
		if n := sim.(*network.Simulator).Effects(network.OpCancelPorting, d.ID); n != 0 {
			t.Fatalf("carrier cancels of a porting it never had = %d", n)
		}
		w.advance(5 * time.Minute)
		if got := w.sub(s2.ID); got.Status != "active" {
			t.Fatalf("subscription = %s, want active", got.Status)
		}
		// A draft, and a completed porting, are not cancelable.
		other := w.draft(w.user(nil), "+12015550131")
		w.Post(w.P("/portings/"+other.ID+"/cancel"), nil).ExpectError(http.StatusConflict, "conflict", "portingNotCancelable")
	})
}

// TestUnusedDraftIsDeletedAfter30Days: a draft no subscription took is
// deleted 30 days after it was created; one a subscription took is kept.
func TestUnusedDraftIsDeletedAfter30Days(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		unused := w.draft(user, "+12015550140")
		used := w.draft(user, "+12015550141")
		w.subscribe(w.plan(nil), user, "auto", map[string]any{"porting": used.ID})
		w.advance(30*24*time.Hour - time.Second)
		w.porting(unused.ID)
		w.advance(time.Second)
		w.Get(w.P("/portings/"+unused.ID)).ExpectError(http.StatusNotFound, "notFound", "")
		w.porting(used.ID)
	})
}
