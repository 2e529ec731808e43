package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"cellgate/internal/devices"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// device is a device as the API returns it.
type device struct {
	ID    string  `json:"id"`
	IMEI  *string `json:"imei"`
	Name  *string `json:"name"`
	Model *struct {
		ID       string   `json:"id"`
		Brand    string   `json:"brand"`
		SIMTypes []string `json:"simTypes"`
		Type     string   `json:"type"`
	} `json:"model"`
	SIMs []struct{ ID string } `json:"sims"`
	User *struct{ ID string }  `json:"user"`
}

// modelID finds a catalogue model by brand and name: the reference has no
// endpoint listing models, so tests read the embedded catalogue.
func modelID(t *testing.T, brand, name string) string {
	t.Helper()
	id := devices.ModelID(brand, name)
	if id == "" {
		t.Fatalf("no device model %s %s", brand, name)
	}
	return id
}

// TestDeviceIMEIIsLuhnChecked: an IMEI is 15 digits with a valid Luhn
// check digit, and unique in the project.
func TestDeviceIMEIIsLuhnChecked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, tc := range []struct {
			imei   any
			status int
			code   string
		}{
			{"490154203237518", 201, ""},
			{"490154203237517", 422, "deviceImeiInvalid"}, // wrong check digit
			{"49015420323751", 422, "deviceImeiInvalid"},  // 14 digits
			{"4901542032375180", 422, "deviceImeiInvalid"},
			{"49015420323751a", 422, "deviceImeiInvalid"},
			{490154203237518, 422, "fieldTypeInvalid"},
			{"490154203237518", 409, "deviceImeiAlreadyExists"},
		} {
			r := w.Post(w.P("/devices"), map[string]any{"imei": tc.imei})
			if tc.status == 201 {
				r.Expect(http.StatusCreated)
				continue
			}
			r.ExpectError(tc.status, map[int]string{409: "conflict", 422: "invalid"}[tc.status], tc.code)
		}
	})
}

// TestDevicesAreCreatedUpdatedAndListed: a device with its model from the
// catalogue, its user and SIMs; PATCH records device.updated; lists
// filter by sim and user; brands are sorted alphabetically.
func TestDevicesAreCreatedUpdatedAndListed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		sim := w.Post(w.P("/sims"), map[string]any{"iccid": "89012600000000000041", "provider": "test"}).Expect(http.StatusCreated).ID()
		var d device
		w.Post(w.P("/devices"), map[string]any{"imei": "356938035643809", "model": modelID(t, "Google", "Pixel 8"), "name": "Work phone",
			"user": user, "sims": []string{sim}, "metadata": map[string]any{"k": "v"}}).Expect(http.StatusCreated).Decode(&d)
		if d.Model == nil || d.Model.Brand != "Google" || d.Model.Type != "smartphone" || len(d.SIMs) != 1 || d.SIMs[0].ID != sim || d.User.ID != user {
			t.Fatalf("device = %+v", d)
		}
		other := w.Post(w.P("/devices"), map[string]any{"name": "Tablet"}).Expect(http.StatusCreated).ID()
		w.Patch(w.P("/devices/"+other), map[string]any{"sims": []string{sim}}).ExpectError(http.StatusConflict, "conflict", "deviceSimAlreadyUsed")
		w.Patch(w.P("/devices/"+other), map[string]any{"model": "dmd_0000000000000000000000"}).ExpectError(http.StatusUnprocessableEntity, "invalid", "deviceModelNotFound")
		var renamed device
		w.Patch(w.P("/devices/"+d.ID), map[string]any{"name": "Personal phone", "sims": []string{}}).Expect(http.StatusOK).Decode(&renamed)
		if *renamed.Name != "Personal phone" || len(renamed.SIMs) != 0 {
			t.Fatalf("renamed = %+v", renamed)
		}
		if evs := types(w.eventsOf(d.ID)); !slices.Equal(evs, []string{"com.gigs.device.created", "com.gigs.device.updated"}) {
			t.Fatalf("events = %v", evs)
		}
		w.Patch(w.P("/devices/"+other), map[string]any{"sims": []string{sim}}).Expect(http.StatusOK)
		var page struct{ Items []device }
		w.Get(w.P("/devices?sim=" + sim)).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != other {
			t.Fatalf("devices with the SIM = %+v", page.Items)
		}
		w.Get(w.P("/devices?user=" + user)).Expect(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != d.ID {
			t.Fatalf("devices of the user = %+v", page.Items)
		}
		var brands struct{ Items []struct{ Name string } }
		w.Get("/deviceModelBrands").Expect(http.StatusOK).Decode(&brands)
		names := make([]string, len(brands.Items))
		for i, b := range brands.Items {
			names[i] = b.Name
		}
		if !slices.IsSorted(names) || !slices.Contains(names, "Apple") || !slices.Contains(names, "Samsung") {
			t.Fatalf("brands = %v", names)
		}
	})
}

// TestPlanThatRequiresADeviceTakesOneThatSupportsIt: a plan whose
// requirements.device is present refuses a subscription without a
// device (deviceRequired) or with one whose model takes none of its SIM
// types (deviceNotSupportedOnPlan); with a suitable device the
// subscription's SIM goes into it.
func TestPlanThatRequiresADeviceTakesOneThatSupportsIt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		user := w.user(nil)
		plan := w.plan(map[string]any{"simTypes": []string{"eSIM"}, "requirements": map[string]any{"device": "present"}})
		w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": user, "sim": "auto"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "deviceRequired")
		feature := w.Post(w.P("/devices"), map[string]any{"model": modelID(t, "Nokia", "105"), "user": user}).Expect(http.StatusCreated).ID()
		w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": user, "sim": "auto", "device": feature}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "deviceNotSupportedOnPlan")
		theirs := w.Post(w.P("/devices"), map[string]any{"model": modelID(t, "Apple", "iPhone 15"), "user": w.user(nil)}).Expect(http.StatusCreated).ID()
		w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": user, "sim": "auto", "device": theirs}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "deviceUserMismatch")
		w.Post(w.P("/subscriptions"), map[string]any{"plan": plan, "user": user, "sim": "auto", "device": "dev_0000000000000000000000"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "deviceNotFound")
		phone := w.Post(w.P("/devices"), map[string]any{"model": modelID(t, "Apple", "iPhone 15"), "user": user}).Expect(http.StatusCreated).ID()
		s := w.subscribe(plan, user, "auto", map[string]any{"device": phone})
		w.advance(5 * time.Minute)
		got := w.sub(s.ID)
		var d device
		w.Get(w.P("/devices/" + phone)).Expect(http.StatusOK).Decode(&d)
		if got.SIM == nil || len(d.SIMs) != 1 || d.SIMs[0].ID != got.SIM.ID {
			t.Fatalf("device %+v does not hold the subscription's SIM %+v", d, got.SIM)
		}
	})
}
