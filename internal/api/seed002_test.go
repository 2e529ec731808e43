package api_test

import (
	"net/http"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestSeed002UserPlanAddress replays the user, plan and address requests of
// the "Create a subscription" guide (seed 002) with their exact bodies.
func TestSeed002UserPlanAddress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		user := e.Post(e.P("/users"), `{
"email": "jerry@example.com",
"fullName": "Jerry Seinfeld"
}`).Expect(http.StatusCreated).JSON()
		for k, want := range map[string]any{"object": "user", "email": "jerry@example.com", "fullName": "Jerry Seinfeld",
			"emailVerified": false, "preferredLocale": "en-US", "birthday": nil} {
			if user[k] != want {
				t.Errorf("user.%s = %v, want %v", k, user[k], want)
			}
		}
		userID := user["id"].(string)

		e.Post(e.P("/plans"), map[string]any{
			"name": "Gigs Global", "provider": "p9", "simTypes": []string{"eSIM"},
			"price":        map[string]any{"amount": 2500, "currency": "USD"},
			"allowances":   map[string]any{"dataBytes": 10000000000, "voiceSeconds": 30000, "smsMessages": 100},
			"requirements": map[string]any{"address": "present"},
			"validity":     map[string]any{"value": 1, "unit": "month", "type": "recurring"},
		}).Expect(http.StatusCreated)
		e.Post(e.P("/plans"), map[string]any{
			"name": "Talk", "provider": "p1", "simTypes": []string{"pSIM"},
			"price":      map[string]any{"amount": 1500, "currency": "USD"},
			"allowances": map[string]any{"dataBytes": nil, "voiceSeconds": nil, "smsMessages": nil},
			"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"},
		}).Expect(http.StatusCreated)

		var plans struct {
			Object string           `json:"object"`
			Items  []map[string]any `json:"items"`
		}
		e.Get(e.P("/plans?simType=eSIM")).Expect(http.StatusOK).Decode(&plans)
		if plans.Object != "list" || len(plans.Items) != 1 || plans.Items[0]["name"] != "Gigs Global" {
			t.Fatalf("eSIM plans = %+v", plans)
		}
		if req := plans.Items[0]["requirements"].(map[string]any); req["address"] != "present" {
			t.Errorf("requirements = %v", req)
		}

		addr := e.Post(e.P("/users/"+userID+"/addresses"), `{
"line1": "129 West 81st Street",
"line2": "Apartment 5",
"city": "New York City",
"state": "NY",
"postalCode": "10024",
"country": "US"
}`).Expect(http.StatusCreated).JSON()
		for k, want := range map[string]any{"object": "userAddress", "city": "New York City", "country": "US",
			"line1": "129 West 81st Street", "line2": "Apartment 5", "postalCode": "10024", "state": "NY", "user": userID} {
			if addr[k] != want {
				t.Errorf("address.%s = %v, want %v", k, addr[k], want)
			}
		}
	})
}
