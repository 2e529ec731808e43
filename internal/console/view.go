package console

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/money"
	"cellgate/internal/store"
)

// pageSize is the number of rows of every console list.
const pageSize = 25

var funcs = template.FuncMap{
	"money":  func(p money.Price) string { return formatMoney(p.Amount, p.Currency) },
	"amount": formatMoney,
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04:05")
		case *time.Time:
			if v != nil {
				return v.UTC().Format("2006-01-02 15:04:05")
			}
		}
		return "—"
	},
	"str": func(s *string) string {
		if s == nil {
			return "—"
		}
		return *s
	},
	"pretty": func(raw json.RawMessage) string {
		var b bytes.Buffer
		if json.Indent(&b, raw, "", "  ") != nil {
			return string(raw)
		}
		return b.String()
	},
	"short": func(t string) string { return strings.TrimPrefix(t, "com.gigs.") },
}

// formatMoney shows minor units as a decimal amount with the currency.
func formatMoney(amount int64, currency string) string { return money.Format(amount, currency) }

// pager is a list page's cursor links, keeping its filters.
type pager struct {
	Older, Newer string
}

// pageOf reads after/before from the query: keyset pagination, as the API
// pages (docs/conventions.md), pageSize rows at a time.
func pageOf(rq *request) (store.Page, error) {
	q := rq.URL.Query()
	p := store.Page{After: q.Get("after"), Before: q.Get("before"), Limit: pageSize}
	if p.After != "" && p.Before != "" {
		return p, errs.Invalid("paginationInvalid", "Use after or before, not both.")
	}
	for _, c := range []string{p.After, p.Before} {
		if c != "" && !ids.Valid(c) {
			return p, errs.Invalid("idInvalid", "The page cursor is not an id.")
		}
	}
	return p, nil
}

// pagerOf builds the links to the neighbouring pages of a list.
func pagerOf[T any](rq *request, page store.PageOf[T]) pager {
	link := func(key string, cursor *string) string {
		if cursor == nil {
			return ""
		}
		q := rq.URL.Query()
		q.Del("after")
		q.Del("before")
		q.Set(key, *cursor)
		return rq.URL.Path + "?" + q.Encode()
	}
	return pager{Older: link("after", page.MoreAfter), Newer: link("before", page.MoreBefore)}
}

// filter reads an optional enum filter from the query.
func filter(rq *request, name string, allowed ...string) (string, error) {
	v := rq.URL.Query().Get(name)
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", errs.Invalid("invalidEnumValue", "%s must be one of %s.", name, strings.Join(allowed, ", "))
}

// idFilter reads an optional id filter from the query.
func idFilter(rq *request, name string) (string, error) {
	v := rq.URL.Query().Get(name)
	if v != "" && !ids.Valid(v) {
		return "", errs.Invalid("idInvalid", "%s is not an id.", name)
	}
	return v, nil
}

// pathID reads an id from the path; anything that cannot be one is
// notFound.
func pathID(rq *request, name, object string) (string, error) {
	v := rq.PathValue(name)
	if !ids.Valid(v) {
		return "", errs.NotFound(object, v)
	}
	return v, nil
}

// formAmount reads an amount in minor units from a form field.
func formAmount(rq *request, name string) (int64, bool, error) {
	v := rq.formText(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false, errs.Invalid("amountInvalid", "%s must be a whole number of minor units (cents).", name)
	}
	return n, true, nil
}

// withQuery is path with a query parameter.
func withQuery(path, key, value string) string { return path + "?" + url.Values{key: {value}}.Encode() }
