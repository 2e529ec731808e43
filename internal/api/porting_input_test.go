package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"cellgate/internal/apitest"
	"cellgate/internal/projects"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestPortingInputIsCheckedFieldByField: every field of POST and PATCH
// /portings is validated, the error names the field, and a refused
// request changes nothing; eligibility answers its documented codes.
func TestPortingInputIsCheckedFieldByField(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		existing := w.draft(user, "+12015550160")
		live := w.activeSub(w.plan(nil), w.user(nil), "auto")
		for _, tc := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"phoneNumber missing", map[string]any{"provider": "test", "user": user}, 422, "fieldRequired"},
			{"phoneNumber not E.164", map[string]any{"phoneNumber": "2015550161", "provider": "test", "user": user}, 422, "phoneNumberInvalid"},
			{"provider unknown", map[string]any{"phoneNumber": "+12015550161", "provider": "nope", "user": user}, 422, "portingProviderNotFound"},
			{"number of another country", map[string]any{"phoneNumber": "+447700900123", "provider": "test", "user": user}, 422, "portingNotSupported"},
			{"user unknown", map[string]any{"phoneNumber": "+12015550161", "provider": "test", "user": "usr_0000000000000000000000"}, 422, "userNotFound"},
			{"unknown field", map[string]any{"phoneNumber": "+12015550161", "provider": "test", "user": user, "pin": "1"}, 422, "unknownField"},
			{"wrong type", map[string]any{"phoneNumber": 12015550161, "provider": "test", "user": user}, 422, "fieldTypeInvalid"},
			{"number already porting", map[string]any{"phoneNumber": "+12015550160", "provider": "test", "user": user}, 409, "portingAlreadyExists"},
			{"number of a subscription", map[string]any{"phoneNumber": *live.PhoneNumber, "provider": "test", "user": user}, 409, "portingPhoneNumberInUse"},
		} {
			t.Run("create/"+tc.name, func(t *testing.T) {
				before := w.Get(w.P("/portings?limit=200")).Expect(http.StatusOK).Body
				w.Post(w.P("/portings"), tc.body).ExpectError(tc.status, map[int]string{409: "conflict", 422: "invalid"}[tc.status], tc.code)
				if after := w.Get(w.P("/portings?limit=200")).Expect(http.StatusOK).Body; !bytes.Equal(before, after) {
					t.Fatalf("a refused POST changed the portings")
				}
			})
		}
		t.Run("create/drafts per user", func(t *testing.T) {
			u := w.user(nil)
			for i := 0; i < 5; i++ {
				w.draft(u, "+1201555017"+string(rune('0'+i)))
			}
			w.Post(w.P("/portings"), map[string]any{"phoneNumber": "+12015550179", "provider": "test", "user": u}).
				ExpectError(http.StatusConflict, "conflict", "portingPerUserLimitExceeded")
		})
		for _, tc := range []struct {
			name, code string
			body       map[string]any
		}{
			{"accountNumber", "accountNumberInvalid", map[string]any{"accountNumber": "12 34!"}},
			{"accountPin short", "accountPinInvalid", map[string]any{"accountPin": "12"}},
			{"accountPin letters", "accountPinInvalid", map[string]any{"accountPin": "12ab56"}},
			{"donorProvider unknown", "portingDonorProviderNotFound", map[string]any{"donorProvider": "svp_0000000000000000000000"}},
			{"donorProvider of another country", "portingProviderMismatch", map[string]any{"donorProvider": w.gbDonor()}},
			{"firstName empty", "fieldRequired", map[string]any{"firstName": ""}},
			{"lastName too long", "fieldTooLong", map[string]any{"lastName": strings.Repeat("x", 101)}},
			{"birthday", "dateInvalid", map[string]any{"birthday": "1990-13-01"}},
			{"address without city", "addressInvalid", map[string]any{"address": map[string]any{"line1": "1 Main St", "city": "", "country": "US", "state": "NY", "postalCode": "10024"}}},
			{"address US without state", "addressInvalid", map[string]any{"address": map[string]any{"line1": "1 Main St", "city": "NYC", "country": "US", "postalCode": "10024"}}},
			{"address unknown field", "unknownField", map[string]any{"address": map[string]any{"line1": "1 Main St", "city": "NYC", "country": "US", "zip": "1"}}},
			{"donorProviderApproval type", "fieldTypeInvalid", map[string]any{"donorProviderApproval": "yes"}},
		} {
			t.Run("update/"+tc.name, func(t *testing.T) {
				before := w.Get(w.P("/portings/" + existing.ID)).Expect(http.StatusOK).Body
				e := w.Patch(w.P("/portings/"+existing.ID), tc.body).ExpectError(http.StatusUnprocessableEntity, "invalid", tc.code)
				for field := range tc.body {
					if msg := e["message"].(string); !strings.Contains(msg, field) {
						t.Fatalf("message %q does not name %s", msg, field)
					}
				}
				if after := w.Get(w.P("/portings/" + existing.ID)).Expect(http.StatusOK).Body; !bytes.Equal(before, after) {
					t.Fatalf("a refused PATCH changed the porting")
				}
			})
		}
		t.Run("other projects' portings are not found", func(t *testing.T) {
			key := w.NewProject("other", projects.TypeTest)
			otherUser := w.Do(apitest.Request{Method: http.MethodPost, Path: "/projects/other/users", Key: key,
				Body: map[string]any{"email": "o@example.com"}}).Expect(http.StatusCreated).ID()
			theirs := w.Do(apitest.Request{Method: http.MethodPost, Path: "/projects/other/portings", Key: key,
				Body: map[string]any{"phoneNumber": "+12015550190", "provider": "test", "user": otherUser}}).Expect(http.StatusCreated).ID()
			w.Get(w.P("/portings/"+theirs)).ExpectError(http.StatusNotFound, "notFound", "")
			w.Patch(w.P("/portings/"+theirs), map[string]any{"firstName": "X"}).ExpectError(http.StatusNotFound, "notFound", "")
			w.Post(w.P("/portings/"+theirs+"/cancel"), nil).ExpectError(http.StatusNotFound, "notFound", "")
			w.Post(w.P("/subscriptions"), map[string]any{"plan": w.plan(nil), "user": user, "sim": "auto", "porting": theirs}).
				ExpectError(http.StatusUnprocessableEntity, "invalid", "portingNotFound")
		})
		t.Run("subscription rules", func(t *testing.T) {
			plan := w.plan(nil)
			w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": w.user(nil), "sim": "auto", "porting": existing.ID}).
				ExpectError(http.StatusUnprocessableEntity, "invalid", "portingUserMismatch")
			p9 := w.plan(map[string]any{"provider": "p9", "simTypes": []string{"eSIM"}})
			w.Post(w.P("/subscriptions"), map[string]any{"plan": p9, "user": user, "sim": "auto", "porting": existing.ID}).
				ExpectError(http.StatusUnprocessableEntity, "invalid", "portingProviderMismatch")
			w.subscribe(plan, user, "auto", map[string]any{"porting": existing.ID})
			w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": user, "sim": "auto", "porting": existing.ID}).
				ExpectError(http.StatusConflict, "conflict", "subscriptionPortingAlreadyOpen")
			w.patchPorting(existing.ID, holder(w.donorID("AT&T")))
			w.Patch(w.P("/portings/"+existing.ID), map[string]any{"firstName": "X"}).ExpectError(http.StatusConflict, "conflict", "portingNotUpdatable")
		})
	})
}

// gbDonor is a donor of UK numbers.
func (w *world) gbDonor() string {
	w.t.Helper()
	var page struct {
		Items []struct{ ID, Name string } `json:"items"`
	}
	w.Get("/serviceProviders?limit=200").Expect(http.StatusOK).Decode(&page)
	for _, it := range page.Items {
		if it.Name == "EE" {
			return it.ID
		}
	}
	w.t.Fatal("no EE service provider")
	return ""
}

// TestPortingPINNeverLeaves: an account PIN is write-only. It is in no
// response, no event, no log line and no outbound operation's payload;
// only accountPinExists shows.
func TestPortingPINNeverLeaves(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg, logs := observedConfig()
		w := newWorldWith(t, db, cfg)
		const pin = "97531864" // wrong at the donor: the porting is declined, then fixed
		var bodies [][]byte
		user := w.user(nil)
		d := w.Post(w.P("/portings"), map[string]any{"phoneNumber": "+12015550180", "provider": "test", "user": user}).Expect(http.StatusCreated)
		id := d.ID()
		bodies = append(bodies, w.Post(w.P("/subscriptions"), map[string]any{"plan": w.plan(nil), "user": user, "sim": "auto", "porting": id}).Expect(http.StatusCreated).Body)
		// An invalid PIN is not echoed.
		bodies = append(bodies, w.Patch(w.P("/portings/"+id), map[string]any{"accountPin": "x" + pin}).Expect(http.StatusUnprocessableEntity).Body)
		details := holder(w.donorID("AT&T"))
		details["accountPin"] = pin
		bodies = append(bodies, w.Patch(w.P("/portings/"+id), details).Expect(http.StatusOK).Body)
		w.advance(48 * time.Hour)
		bodies = append(bodies, w.Get(w.P("/portings/"+id)).Expect(http.StatusOK).Body,
			w.Get(w.P("/portings?limit=200")).Expect(http.StatusOK).Body,
			w.Get(w.P("/subscriptions?limit=200")).Expect(http.StatusOK).Body,
			w.Get(w.P("/events?limit=200")).Expect(http.StatusOK).Body)
		for i, b := range bodies {
			if bytes.Contains(b, []byte(pin)) {
				t.Fatalf("response %d shows the PIN: %s", i, b)
			}
		}
		if p := w.porting(id); p.Status != "declined" || !p.AccountPinExists {
			t.Fatalf("porting = %+v, want declined with a PIN set", p)
		}
		if strings.Contains(logs.text(), pin) {
			t.Fatal("the log shows the PIN")
		}
		var n int
		if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM operations WHERE payload LIKE ? OR result LIKE ?`, "%"+pin+"%", "%"+pin+"%").Scan(&n); err != nil || n != 0 {
			t.Fatalf("operations holding the PIN: %d (%v)", n, err)
		}
		// The simulator's own storage keeps no PIN either.
		if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM simulator_state WHERE state LIKE ?`, "%"+pin+"%").Scan(&n); err != nil || n != 0 {
			t.Fatalf("simulator state holding the PIN: %d (%v)", n, err)
		}
	})
}
