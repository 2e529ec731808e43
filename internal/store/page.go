package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
)

// Page selects one page of a list: items older than After, or newer than
// Before (at most one is set), Limit of them.
type Page struct {
	After  string
	Before string
	Limit  int
}

// PageOf is one page of a list, newest first, with the cursors for the
// neighbouring pages (nil when there is nothing there).
type PageOf[T any] struct {
	Items      []T
	MoreAfter  *string
	MoreBefore *string
}

// ListQuery describes a list over one table whose primary key is a
// time-ordered id column named "id".
type ListQuery struct {
	// Select is "SELECT <columns> FROM <table>".
	Select string
	where  []string
	args   []any
}

// Where adds a condition with its arguments; conditions are ANDed.
func (q *ListQuery) Where(cond string, args ...any) *ListQuery {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
	return q
}

// WhereIn adds "column IN (?, ?, ...)" for the given values.
func (q *ListQuery) WhereIn(column string, values []string) *ListQuery {
	marks := strings.Repeat("?, ", len(values))
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return q.Where(column+" IN ("+marks[:len(marks)-2]+")", args...)
}

// sql renders the query with an optional extra condition on the cursor id.
// The limit is a parameter so that one prepared statement serves every page.
func (q *ListQuery) sql(cond, cursor, order string, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString(q.Select)
	conds := q.where
	args := slices.Clip(q.args)
	if cond != "" {
		conds = append(slices.Clip(conds), cond)
		args = append(args, cursor)
	}
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	b.WriteString(" ORDER BY id ")
	b.WriteString(order)
	b.WriteString(" LIMIT ?")
	return b.String(), append(args, limit)
}

// List runs q as keyset pagination on the id column: the cost of a page
// does not depend on how deep it is. scan reads one row and returns the
// item and its id.
func List[T any](ctx context.Context, db Querier, q *ListQuery, p Page, scan func(*sql.Rows) (T, string, error)) (PageOf[T], error) {
	var out PageOf[T]
	if p.Limit == 0 {
		out.Items = []T{}
		return out, nil
	}
	var (
		query string
		args  []any
	)
	switch {
	case p.Before != "":
		query, args = q.sql("id > ?", p.Before, "ASC", p.Limit+1)
	case p.After != "":
		query, args = q.sql("id < ?", p.After, "DESC", p.Limit+1)
	default:
		query, args = q.sql("", "", "DESC", p.Limit+1)
	}
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return out, err
	}
	items := make([]T, 0, p.Limit)
	itemIDs := make([]string, 0, p.Limit+1)
	for rows.Next() {
		item, id, err := scan(rows)
		if err != nil {
			rows.Close()
			return out, err
		}
		items = append(items, item)
		itemIDs = append(itemIDs, id)
	}
	if err := rows.Close(); err != nil {
		return out, err
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	more := len(items) > p.Limit
	if more {
		items, itemIDs = items[:p.Limit], itemIDs[:p.Limit]
	}
	if p.Before != "" {
		slices.Reverse(items)
		slices.Reverse(itemIDs)
	}
	out.Items = items
	if len(items) == 0 {
		return out, nil
	}
	first, last := itemIDs[0], itemIDs[len(itemIDs)-1]
	// The page ran in one direction; "more" answers that side, and a cheap
	// indexed probe answers the other.
	switch {
	case p.Before != "":
		if more {
			out.MoreBefore = &first
		}
		if ok, err := exists(ctx, db, q, "id < ?", last); err != nil {
			return out, err
		} else if ok {
			out.MoreAfter = &last
		}
	default:
		if more {
			out.MoreAfter = &last
		}
		if p.After != "" {
			if ok, err := exists(ctx, db, q, "id > ?", first); err != nil {
				return out, err
			} else if ok {
				out.MoreBefore = &first
			}
		}
	}
	return out, nil
}

func exists(ctx context.Context, db Querier, q *ListQuery, cond string, id string) (bool, error) {
	inner, args := q.sql(cond, id, "ASC", 1)
	var one int
	err := db.QueryRow(ctx, "SELECT 1 FROM ("+inner+") AS probe", args...).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// PageSlice pages through items held in memory (data shipped with the
// binary) with the same cursors as List. items are sorted by id, highest
// first; id gives an item's id.
func PageSlice[T any](items []T, p Page, id func(T) string) PageOf[T] {
	out := PageOf[T]{Items: []T{}}
	if p.Limit == 0 {
		return out
	}
	start, end := 0, len(items)
	switch {
	case p.After != "":
		start, _ = slices.BinarySearchFunc(items, p.After, func(it T, c string) int { return strings.Compare(c, id(it)) })
		for start < len(items) && id(items[start]) >= p.After {
			start++
		}
		end = min(start+p.Limit, len(items))
	case p.Before != "":
		end = 0
		for end < len(items) && id(items[end]) > p.Before {
			end++
		}
		start = max(end-p.Limit, 0)
	default:
		end = min(p.Limit, len(items))
	}
	out.Items = append(out.Items, items[start:end]...)
	if len(out.Items) == 0 {
		return out
	}
	if start > 0 {
		first := id(items[start])
		out.MoreBefore = &first
	}
	if end < len(items) {
		last := id(items[end-1])
		out.MoreAfter = &last
	}
	return out
}
