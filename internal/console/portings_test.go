package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"cellgate/internal/operators"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestPortingsPageMarksOnesPastTheDonorsUsualTime: a porting still
// requested after more business days than its donor usually takes (AT&T:
// 2) is marked late; one that completed in time is not.
func TestPortingsPageMarksOnesPastTheDonorsUsualTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var donors struct{ Items []struct{ ID, Name string } }
		w.Get("/serviceProviders?recipientProvider=test&limit=100").Expect(http.StatusOK).Decode(&donors)
		att := ""
		for _, d := range donors.Items {
			if d.Name == "AT&T" {
				att = d.ID
			}
		}
		if att == "" {
			t.Fatalf("no AT&T among %+v", donors.Items)
		}
		port := func(number string) string {
			user := w.Post(w.P("/users"), map[string]any{"email": "port" + number[1:] + "@example.com"}).Expect(http.StatusCreated).ID()
			p := w.Post(w.P("/portings"), map[string]any{"phoneNumber": number, "provider": "test", "user": user}).Expect(http.StatusCreated).ID()
			w.Patch(w.P("/portings/"+p), map[string]any{"donorProvider": att, "accountNumber": "A1", "accountPin": "1234", "firstName": "Jerry", "lastName": "Seinfeld"}).
				Expect(http.StatusOK)
			sub := w.Post(w.P("/subscriptions"), map[string]any{"plan": w.ids["plan"], "user": user, "sim": "auto", "porting": p}).Expect(http.StatusCreated).ID()
			var invs struct{ Items []struct{ ID string } }
			w.Get(w.P("/invoices?subscription=" + sub)).Expect(http.StatusOK).Decode(&invs)
			w.Post(w.P("/invoices/"+invs.Items[0].ID+"/pay"), nil).Expect(http.StatusOK)
			return p
		}
		stuck, quick := port("+12015550199"), port("+12015550120")
		w.Post("/testing/projects/acme/clock/advance", map[string]any{"by": "7d"}).Expect(http.StatusOK)

		b := w.login("acme", operators.Support)
		requested := b.get("/console/p/acme/portings?status=requested").expect(http.StatusOK)
		row := regexp.MustCompile(`<tr class="late"><td>` + stuck + `</td>.*?</tr>`).FindString(strings.ReplaceAll(requested.body, "\n", " "))
		if row == "" || !strings.Contains(row, "AT&amp;T") {
			t.Fatalf("the stuck porting is not marked late: %s", requested.body)
		}
		if strings.Contains(requested.body, quick) {
			t.Fatalf("a completed porting listed as requested: %s", requested.body)
		}
		all := b.get("/console/p/acme/portings").expect(http.StatusOK)
		if !strings.Contains(all.body, "<tr><td>"+quick+"</td>") {
			t.Fatalf("the completed porting is missing or marked late: %s", all.body)
		}
	})
}
