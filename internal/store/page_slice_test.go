package store

import (
	"slices"
	"testing"
)

// TestPageSliceMatchesListCursors pages through ids held in memory the way
// List pages through a table: after, before, limits and both cursors.
func TestPageSliceMatchesListCursors(t *testing.T) {
	items := []string{"e", "d", "c", "b", "a"} // highest first
	self := func(s string) string { return s }
	str := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	for _, tc := range []struct {
		page              Page
		want              []string
		moreAfter, before string
	}{
		{Page{Limit: 2}, []string{"e", "d"}, "d", "-"},
		{Page{Limit: 10}, []string{"e", "d", "c", "b", "a"}, "-", "-"},
		{Page{Limit: 0}, []string{}, "-", "-"},
		{Page{After: "d", Limit: 2}, []string{"c", "b"}, "b", "c"},
		{Page{After: "cc", Limit: 5}, []string{"c", "b", "a"}, "-", "c"},
		{Page{After: "a", Limit: 5}, []string{}, "-", "-"},
		{Page{Before: "b", Limit: 2}, []string{"d", "c"}, "c", "d"},
		{Page{Before: "d", Limit: 5}, []string{"e"}, "e", "-"},
	} {
		got := PageSlice(items, tc.page, self)
		if !slices.Equal(got.Items, tc.want) || str(got.MoreAfter) != tc.moreAfter || str(got.MoreBefore) != tc.before {
			t.Errorf("%+v: items %v after %s before %s; want %v %s %s", tc.page, got.Items, str(got.MoreAfter), str(got.MoreBefore), tc.want, tc.moreAfter, tc.before)
		}
	}
}
