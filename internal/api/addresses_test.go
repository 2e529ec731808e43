package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// fxAddressBody is a valid US address; n varies line1 so that several
// addresses of one user stay distinct.
func fxAddressBody(n int) map[string]any {
	return map[string]any{"line1": fmt.Sprintf("%d West 81st Street", 100+n), "city": "New York City",
		"state": "NY", "postalCode": "10024", "country": "US"}
}

func fxAddress(t *testing.T, e *apitest.Env, userID string, n int) map[string]any {
	t.Helper()
	return e.Post(e.P("/users/"+userID+"/addresses"), fxAddressBody(n)).Expect(http.StatusCreated).JSON()
}

func TestAddressCreateRetrieveListDelete(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		userID := fxUser(t, e, "jerry@example.com")["id"].(string)
		base := e.P("/users/" + userID + "/addresses")

		a := e.Post(base, `{"line1":"Kurfürstendamm 1","city":"Berlin","postalCode":"10719","country":"DE"}`).
			Expect(http.StatusCreated).JSON()
		if id, _ := a["id"].(string); !strings.HasPrefix(id, "adr_") {
			t.Errorf("id = %v, want adr_ prefix", a["id"])
		}
		for k, want := range map[string]any{"object": "userAddress", "line1": "Kurfürstendamm 1", "line2": nil,
			"city": "Berlin", "state": nil, "postalCode": "10719", "country": "DE", "user": userID} {
			if !reflect.DeepEqual(a[k], want) {
				t.Errorf("%s = %v, want %v", k, a[k], want)
			}
		}
		if _, ok := a["createdAt"].(string); !ok {
			t.Errorf("createdAt missing: %v", a)
		}
		b := fxAddress(t, e, userID, 1)

		aPath := base + "/" + a["id"].(string)
		fxSameJSON(t, "retrieved address", e.Get(aPath).Expect(http.StatusOK).Body, a)
		if got := fxIDs(fxItems(t, e.Get(base))); !reflect.DeepEqual(got, []string{b["id"].(string), a["id"].(string)}) {
			t.Errorf("list = %v, want newest first", got)
		}

		fxSameJSON(t, "delete response", e.Delete(aPath).Expect(http.StatusOK).Body, a)
		e.Get(aPath).ExpectError(http.StatusNotFound, "notFound", "userAddressNotFound")
		e.Delete(aPath).ExpectError(http.StatusNotFound, "notFound", "userAddressNotFound")
		if got := fxIDs(fxItems(t, e.Get(base))); !reflect.DeepEqual(got, []string{b["id"].(string)}) {
			t.Errorf("list after delete = %v", got)
		}
	})
}

// TestAddressLimitPerUser: ten addresses at most; deleting one makes room.
func TestAddressLimitPerUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		userID := fxUser(t, e, "jerry@example.com")["id"].(string)
		var first string
		for i := 0; i < 10; i++ {
			a := fxAddress(t, e, userID, i)
			if i == 0 {
				first = a["id"].(string)
			}
		}
		base := e.P("/users/" + userID + "/addresses")
		e.Post(base, fxAddressBody(10)).ExpectError(http.StatusUnprocessableEntity, "invalid", "userAddressLimitReached")
		if n := len(fxItems(t, e.Get(base+"?limit=50"))); n != 10 {
			t.Errorf("%d addresses after the rejected 11th, want 10", n)
		}
		// The limit is per user.
		other := fxUser(t, e, "elaine@example.com")["id"].(string)
		fxAddress(t, e, other, 10)

		e.Delete(base + "/" + first).Expect(http.StatusOK)
		fxAddress(t, e, userID, 10)
	})
}

// TestAddressUniquePerUserIgnoringCaseAndSpacing: the same address twice is
// a conflict, however it is spelled; another user may hold it, and a
// deleted address can be added again.
func TestAddressUniquePerUserIgnoringCaseAndSpacing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		userID := fxUser(t, e, "jerry@example.com")["id"].(string)
		base := e.P("/users/" + userID + "/addresses")
		orig := e.Post(base, `{"line1":"129 West 81st Street","line2":"Apartment 5","city":"New York City","state":"NY","postalCode":"10024","country":"US"}`).
			Expect(http.StatusCreated).JSON()
		for _, dup := range []string{
			`{"line1":"129 West 81st Street","line2":"Apartment 5","city":"New York City","state":"NY","postalCode":"10024","country":"US"}`,
			`{"line1":"129 WEST 81ST STREET","line2":"apartment 5","city":"new york city","state":"NY","postalCode":"10024","country":"US"}`,
			`{"line1":"  129   West 81st  Street ","line2":"Apartment  5","city":"New York  City","state":"NY","postalCode":"10024","country":"US"}`,
		} {
			e.Post(base, dup).ExpectError(http.StatusConflict, "conflict", "userAddressAlreadyExists")
		}
		// A different apartment is a different address.
		e.Post(base, `{"line1":"129 West 81st Street","line2":"Apartment 6","city":"New York City","state":"NY","postalCode":"10024","country":"US"}`).
			Expect(http.StatusCreated)

		other := fxUser(t, e, "elaine@example.com")["id"].(string)
		e.Post(e.P("/users/"+other+"/addresses"), `{"line1":"129 West 81st Street","line2":"Apartment 5","city":"New York City","state":"NY","postalCode":"10024","country":"US"}`).
			Expect(http.StatusCreated)

		e.Delete(base + "/" + orig["id"].(string)).Expect(http.StatusOK)
		again := e.Post(base, `{"line1":"129 west 81st street","line2":"Apartment 5","city":"New York City","state":"NY","postalCode":"10024","country":"US"}`).
			Expect(http.StatusCreated).JSON()
		if again["id"] == orig["id"] {
			t.Errorf("re-added address reuses the deleted id")
		}
	})
}

// TestAddressValidated: country is ISO alpha-2 and US addresses need a
// real state and ZIP; nothing is stored on failure.
func TestAddressValidated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		userID := fxUser(t, e, "jerry@example.com")["id"].(string)
		base := e.P("/users/" + userID + "/addresses")
		us := func(state, zip any) map[string]any {
			b := fxAddressBody(0)
			b["state"], b["postalCode"] = state, zip
			return b
		}
		with := func(k string, v any) map[string]any {
			b := fxAddressBody(0)
			b[k] = v
			return b
		}
		without := func(k string) map[string]any {
			b := fxAddressBody(0)
			delete(b, k)
			return b
		}
		for _, c := range []struct {
			name string
			body any
			code string
		}{
			{"country lower case", with("country", "us"), "userAddressInvalid"},
			{"country unassigned", with("country", "XX"), "userAddressInvalid"},
			{"country alpha-3", with("country", "USA"), "userAddressInvalid"},
			{"country missing", without("country"), "fieldRequired"},
			{"line1 missing", without("line1"), "fieldRequired"},
			{"city blank", with("city", " "), "fieldRequired"},
			{"US without state", us(nil, "10024"), "userAddressInvalid"},
			{"US state unknown", us("XY", "10024"), "userAddressInvalid"},
			{"US state spelled out", us("New York", "10024"), "userAddressInvalid"},
			{"US without ZIP", us("NY", nil), "userAddressInvalid"},
			{"US ZIP too short", us("NY", "1002"), "userAddressInvalid"},
			{"US ZIP letters", us("NY", "1002A"), "userAddressInvalid"},
			{"US ZIP+4 malformed", us("NY", "10024 1234"), "userAddressInvalid"},
			{"line1 too long", with("line1", strings.Repeat("a", 201)), "fieldTooLong"},
			{"unknown field", with("zip", "10024"), "unknownField"},
		} {
			fxInvalid(t, c.name, e.Post(base, c.body), c.code)
		}
		if n := len(fxItems(t, e.Get(base))); n != 0 {
			t.Fatalf("rejected requests stored %d addresses", n)
		}
		for i, ok := range []map[string]any{
			us("NY", "10024-1234"),
			us("DC", "20001"),
			{"line1": "1 Main Street", "city": "London", "country": "GB"},
			{"line1": "Calle 1", "city": "Madrid", "state": "Madrid", "postalCode": "28001", "country": "ES"},
		} {
			if r := e.Post(base, ok); r.Status != http.StatusCreated {
				t.Errorf("valid address %d rejected: %s", i, r.Body)
			}
		}
	})
}

// TestAddressBelongsToItsUser: an address is found only under its user, and
// a deleted or unknown user has no addresses to read or add.
func TestAddressBelongsToItsUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		userA := fxUser(t, e, "jerry@example.com")["id"].(string)
		userB := fxUser(t, e, "elaine@example.com")["id"].(string)
		a := fxAddress(t, e, userA, 0)["id"].(string)
		underB := e.P("/users/" + userB + "/addresses/" + a)
		e.Get(underB).ExpectError(http.StatusNotFound, "notFound", "userAddressNotFound")
		e.Delete(underB).ExpectError(http.StatusNotFound, "notFound", "userAddressNotFound")
		if n := len(fxItems(t, e.Get(e.P("/users/"+userB+"/addresses")))); n != 0 {
			t.Errorf("user B lists %d addresses", n)
		}
		e.Get(e.P("/users/" + userA + "/addresses/" + a)).Expect(http.StatusOK)

		missing := e.P("/users/usr_0000000000000000000000/addresses")
		e.Get(missing).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
		e.Post(missing, fxAddressBody(1)).ExpectError(http.StatusNotFound, "notFound", "userNotFound")

		e.Delete(e.P("/users/" + userA)).Expect(http.StatusOK)
		e.Get(e.P("/users/"+userA+"/addresses")).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
		e.Get(e.P("/users/"+userA+"/addresses/"+a)).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
		e.Post(e.P("/users/"+userA+"/addresses"), fxAddressBody(1)).ExpectError(http.StatusNotFound, "notFound", "userNotFound")
	})
}
