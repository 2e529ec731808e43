package api_test

import (
	"net/http"
	"testing"

	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// addon is an add-on as the API returns it.
type addon struct {
	ID                string         `json:"id"`
	Name              string         `json:"name"`
	Status            string         `json:"status"`
	Type              string         `json:"type"`
	Plans             []string       `json:"plans"`
	Provider          string         `json:"provider"`
	ActivationTrigger string         `json:"activationTrigger"`
	RecurrenceType    string         `json:"recurrenceType"`
	Validity          map[string]any `json:"validity"`
	Allowances        map[string]any `json:"allowances"`
	Price             money          `json:"price"`
}

// addonBody is a 1 GB data top-up for plan on the test provider; fields
// override.
func addonBody(plan string, fields map[string]any) map[string]any {
	body := map[string]any{
		"name": "1 GB top-up", "provider": "test", "plans": []string{plan},
		"price":      map[string]any{"amount": 500, "currency": "USD"},
		"allowances": map[string]any{"dataBytes": 1_000_000_000, "voiceSeconds": 0, "smsMessages": 0},
		"validity":   map[string]any{"unit": "day", "value": 7},
	}
	for k, v := range fields {
		body[k] = v
	}
	return body
}

func (w *world) addonOK(plan string, fields map[string]any) addon {
	w.t.Helper()
	var a addon
	w.Post(w.P("/addons"), addonBody(plan, fields)).Expect(http.StatusCreated).Decode(&a)
	return a
}

func (w *world) addons(query string) []addon {
	w.t.Helper()
	var page struct{ Items []addon }
	w.Get(w.P("/addons" + query)).Expect(http.StatusOK).Decode(&page)
	return page.Items
}

// TestAddonCatalog: add-ons are created with the reference's defaults,
// read back, and listed with the status, provider and plan filters.
func TestAddonCatalog(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		p1, p2 := w.plan(nil), w.plan(nil)
		a := w.addonOK(p1, nil)
		if a.Type != "topUp" || a.Status != "available" || a.RecurrenceType != "oneTime" || a.ActivationTrigger != "creation" ||
			a.Validity["unit"] != "day" || a.Price.Amount != 500 {
			t.Fatalf("new add-on = %+v", a)
		}
		b := w.addonOK(p2, map[string]any{"status": "draft", "validity": nil, "activationTrigger": "networkLatch", "coverage": "cp_europe_zone_1"})
		uk := w.plan(map[string]any{"provider": "p4"})
		c := w.addonOK(uk, map[string]any{"provider": "p4"})
		var got addon
		w.Get(w.P("/addons/" + a.ID)).Expect(http.StatusOK).Decode(&got)
		if got.ID != a.ID || got.Name != a.Name {
			t.Fatalf("get = %+v", got)
		}
		for _, f := range []struct {
			query string
			want  []string
		}{
			{"", []string{c.ID, b.ID, a.ID}},
			{"?status=available", []string{c.ID, a.ID}},
			{"?status=draft", []string{b.ID}},
			{"?provider=p4", []string{c.ID}},
			{"?plan=" + p1, []string{a.ID}},
			{"?plan=" + p2 + "&status=available", nil},
		} {
			items := w.addons(f.query)
			if len(items) != len(f.want) {
				t.Fatalf("%s: %d add-ons, want %v", f.query, len(items), f.want)
			}
			for i, id := range f.want {
				if items[i].ID != id {
					t.Fatalf("%s: item %d = %s, want %s", f.query, i, items[i].ID, id)
				}
			}
		}
		w.Get(w.P("/addons?status=gone")).ExpectError(http.StatusUnprocessableEntity, "invalid", "invalidEnumValue")
		w.Get(w.P("/addons?plan=")).ExpectError(http.StatusUnprocessableEntity, "invalid", "emptyParameter")
		w.Get(w.P("/addons/add_0000000000000000000000")).ExpectError(http.StatusNotFound, "notFound", "addonNotFound")
	})
}

// TestAddonUpdateLikePlans: operators rename, archive and offer again;
// status moves follow the plans' rules.
func TestAddonUpdateLikePlans(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a := w.addonOK(w.plan(nil), nil)
		var got addon
		w.Patch(w.P("/addons/"+a.ID), map[string]any{"name": "Weekend data", "status": "archived"}).Expect(http.StatusOK).Decode(&got)
		if got.Name != "Weekend data" || got.Status != "archived" {
			t.Fatalf("patched = %+v", got)
		}
		w.Patch(w.P("/addons/"+a.ID), map[string]any{"status": "draft"}).
			ExpectError(http.StatusUnprocessableEntity, "invalid", "addonStatusTransitionInvalid")
		w.Patch(w.P("/addons/"+a.ID), map[string]any{"status": "available"}).Expect(http.StatusOK)
		evs := types(w.eventsOf(a.ID))
		if len(evs) != 3 || evs[0] != "com.gigs.addon.created" || evs[2] != "com.gigs.addon.updated" {
			t.Fatalf("events = %v", evs)
		}
	})
}

// TestAddonBadInputChangesNothing: each refused add-on names its problem
// and leaves every table as it was.
func TestAddonBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		plan := w.plan(nil)
		uk := w.plan(map[string]any{"provider": "p4"})
		before := takeSnapshot(t, db)
		for _, c := range []struct {
			name   string
			body   map[string]any
			code   string
			status int
		}{
			{"no plans", addonBody(plan, map[string]any{"plans": []string{}}), "plansInvalid", 422},
			{"unknown plan", addonBody("pln_0000000000000000000000", nil), "planNotFound", 422},
			{"plan of another provider", addonBody(uk, nil), "addonProviderMismatch", 422},
			{"type", addonBody(plan, map[string]any{"type": "bundle"}), "invalidEnumValue", 422},
			{"recurring", addonBody(plan, map[string]any{"recurrenceType": "recurring"}), "invalidEnumValue", 422},
			{"trigger", addonBody(plan, map[string]any{"activationTrigger": "later"}), "invalidEnumValue", 422},
			{"validity unit", addonBody(plan, map[string]any{"validity": map[string]any{"unit": "week", "value": 1}}), "invalidEnumValue", 422},
			{"coverage", addonBody(plan, map[string]any{"coverage": "europe"}), "coverageInvalid", 422},
			{"negative data", addonBody(plan, map[string]any{"allowances": map[string]any{"dataBytes": -1, "voiceSeconds": 0, "smsMessages": 0}}), "valueOutOfRange", 422},
			{"no name", map[string]any{"provider": "test", "plans": []string{plan}}, "fieldRequired", 422},
		} {
			w.Post(w.P("/addons"), c.body).ExpectError(c.status, "invalid", c.code)
		}
		if d := before.diff(takeSnapshot(t, db)); len(d) > 0 {
			t.Fatalf("refused add-ons changed %v", d)
		}
	})
}
