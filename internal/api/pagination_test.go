package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"cellgate/internal/apitest"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

type idPage struct {
	Object          string `json:"object"`
	Items           []struct{ ID string }
	MoreItemsAfter  *string `json:"moreItemsAfter"`
	MoreItemsBefore *string `json:"moreItemsBefore"`
}

func (p idPage) ids() []string {
	out := make([]string, len(p.Items))
	for i, it := range p.Items {
		out[i] = it.ID
	}
	return out
}

func getPage(t *testing.T, e *apitest.Env, path string) idPage {
	t.Helper()
	var p idPage
	e.Get(path).Expect(http.StatusOK).Decode(&p)
	if p.Object != "list" {
		t.Fatalf("GET %s: object %q, want list", path, p.Object)
	}
	return p
}

func str(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// checkPage compares a page with the expected slice of ids and cursors.
func checkPage(t *testing.T, what string, got idPage, want []string, after, before string) {
	t.Helper()
	if !slices.Equal(got.ids(), want) {
		t.Errorf("%s: items %v, want %v", what, got.ids(), want)
	}
	if str(got.MoreItemsAfter) != after || str(got.MoreItemsBefore) != before {
		t.Errorf("%s: moreItemsAfter %s moreItemsBefore %s, want %s and %s", what, str(got.MoreItemsAfter), str(got.MoreItemsBefore), after, before)
	}
}

// TestPagination walks 25 users forwards and backwards with after, before
// and limit, newest first, checking every cursor.
func TestPagination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		// Created within the same second or two: order comes from the id,
		// not the timestamp.
		var created []string
		for i := range 25 {
			created = append(created, e.Post(e.P("/users"), map[string]any{"email": fmt.Sprintf("p%02d@example.com", i)}).Expect(http.StatusCreated).ID())
		}
		newest := slices.Clone(created)
		slices.Reverse(newest) // newest[0] is the last created

		p1 := getPage(t, e, e.P("/users"))
		checkPage(t, "first page (default limit 10)", p1, newest[:10], newest[9], "null")
		p2 := getPage(t, e, e.P("/users?after="+newest[9]))
		checkPage(t, "second page", p2, newest[10:20], newest[19], newest[10])
		p3 := getPage(t, e, e.P("/users?after="+newest[19]))
		checkPage(t, "last page", p3, newest[20:], "null", newest[20])
		// Back again with the moreItemsBefore cursors.
		b2 := getPage(t, e, e.P("/users?before="+newest[20]))
		checkPage(t, "back to the second page", b2, newest[10:20], newest[19], newest[10])
		b1 := getPage(t, e, e.P("/users?before="+newest[10]))
		checkPage(t, "back to the first page", b1, newest[:10], newest[9], "null")
		checkPage(t, "before the newest", getPage(t, e, e.P("/users?before="+newest[0])), []string{}, "null", "null")
		checkPage(t, "after the oldest", getPage(t, e, e.P("/users?after="+newest[24])), []string{}, "null", "null")

		checkPage(t, "limit 200", getPage(t, e, e.P("/users?limit=200")), newest, "null", "null")
		checkPage(t, "limit 25", getPage(t, e, e.P("/users?limit=25")), newest, "null", "null")
		checkPage(t, "limit 24", getPage(t, e, e.P("/users?limit=24")), newest[:24], newest[23], "null")
		checkPage(t, "limit 1", getPage(t, e, e.P("/users?limit=1")), newest[:1], newest[0], "null")
		checkPage(t, "after with limit 3", getPage(t, e, e.P("/users?limit=3&after="+newest[4])), newest[5:8], newest[7], newest[5])
		checkPage(t, "before with limit 3", getPage(t, e, e.P("/users?limit=3&before="+newest[10])), newest[7:10], newest[9], newest[7])
		if got := getPage(t, e, e.P("/users?limit=0")); len(got.Items) != 0 {
			t.Errorf("limit 0: %d items, want none", len(got.Items))
		}
		// A cursor is a position, not a row: a deleted user still works.
		e.Delete(e.P("/users/" + newest[9])).Expect(http.StatusOK)
		checkPage(t, "after a deleted user", getPage(t, e, e.P("/users?limit=2&after="+newest[9])), newest[10:12], newest[11], newest[10])
	})
}

// TestPaginationParameters: every wrong value of after, before and limit
// is invalid and names the parameter.
func TestPaginationParameters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		uid := e.Post(e.P("/users"), map[string]any{"email": "params@example.com"}).Expect(http.StatusCreated).ID()
		lists := []string{e.P("/users"), e.P("/plans"), e.P("/events"), e.P("/users/" + uid + "/addresses")}
		for _, c := range []struct {
			query, code, field string
		}{
			{"limit=201", "limitInvalid", "limit"},
			{"limit=-1", "limitInvalid", "limit"},
			{"limit=abc", "limitInvalid", "limit"},
			{"limit=1.5", "limitInvalid", "limit"},
			{"limit=1e1", "limitInvalid", "limit"},
			{"limit=+5", "limitInvalid", "limit"}, // "+" is a space in a query
			{"limit=%2B5", "limitInvalid", "limit"},
			{"limit=%205", "limitInvalid", "limit"},
			{"limit=99999999999999999999", "limitInvalid", "limit"},
			{"limit=", "emptyParameter", "limit"},
			{"after=", "emptyParameter", "after"},
			{"before=", "emptyParameter", "before"},
			{"after=" + uid + "&before=" + uid, "paginationInvalid", "after"},
			{"after=not%20an%20id", "idInvalid", "after"},
			{"before=" + url.QueryEscape("usr_'; DROP TABLE users"), "idInvalid", "before"},
			{"limit=1&limit=2", "repeatedParameter", "limit"},
			{"page=2", "unknownParameter", "page"},
			{"Limit=2", "unknownParameter", "Limit"},
		} {
			for _, path := range lists {
				expectError(t, path+"?"+c.query, e.Get(path+"?"+c.query), http.StatusUnprocessableEntity, "invalid", c.code, c.field)
			}
		}
		for _, q := range []string{"limit=0", "limit=200", "limit=10", "limit=007", "after=" + uid, "before=" + uid} {
			for _, path := range lists {
				e.Get(path + "?" + q).Expect(http.StatusOK)
			}
		}
	})
}

// TestListFilters: filters are checked like the pagination parameters and
// combine with them.
func TestListFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := apitest.New(t, db)
		var esim []string
		for i := range 4 {
			p := minimalPlan(fmt.Sprintf("Plan %d", i))
			if i%2 == 1 {
				p["simTypes"] = []string{"pSIM"}
			}
			id := e.Post(e.P("/plans"), p).Expect(http.StatusCreated).ID()
			if i%2 == 0 {
				esim = append([]string{id}, esim...)
			}
		}
		checkPage(t, "eSIM plans", getPage(t, e, e.P("/plans?simType=eSIM&limit=1")), esim[:1], esim[0], "null")
		checkPage(t, "eSIM plans page 2", getPage(t, e, e.P("/plans?simType=eSIM&limit=1&after="+esim[0])), esim[1:], "null", esim[1])
		for _, c := range []struct{ query, code, field string }{
			{"simType=", "emptyParameter", "simType"},
			{"simType=xSIM", "invalidEnumValue", "simType"},
			{"simType=esim", "invalidEnumValue", "simType"},
			{"status=", "emptyParameter", "status"},
			{"status=gone", "invalidEnumValue", "status"},
			{"provider=", "emptyParameter", "provider"},
			{"provider=nope", "invalidEnumValue", "provider"},
		} {
			expectError(t, c.query, e.Get(e.P("/plans?"+c.query)), http.StatusUnprocessableEntity, "invalid", c.code, c.field)
		}
		for _, c := range []struct{ query, code, field string }{
			{"type=", "emptyParameter", "type"},
			{"type=user.exploded", "invalidEnumValue", "type"},
			{"resource=", "emptyParameter", "resource"},
		} {
			expectError(t, c.query, e.Get(e.P("/events?"+c.query)), http.StatusUnprocessableEntity, "invalid", c.code, c.field)
		}
	})
}
