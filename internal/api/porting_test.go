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
	w.Get("/serviceProviders?limit=200&recipientProvider=test").Expect(http.StatusOK).Decode(&page)
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
