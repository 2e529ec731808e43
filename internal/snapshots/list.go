package snapshots

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

const snapshotColumns = `id, project_id, name, clock_at, row_count, created_at`

func scanSnapshot(row interface{ Scan(...any) error }) (*Snapshot, error) {
	s := Snapshot{Object: "testSnapshot"}
	var clock, created int64
	if err := row.Scan(&s.ID, &s.Project, &s.Name, &clock, &s.Rows, &created); err != nil {
		return nil, err
	}
	s.Clock, s.CreatedAt = store.Time(clock), store.Time(created)
	return &s, nil
}

// List pages through a project's snapshots, newest first.
func List(ctx context.Context, q store.Querier, project string, p store.Page) (store.PageOf[*Snapshot], error) {
	lq := (&store.ListQuery{Select: "SELECT " + snapshotColumns + " FROM project_snapshots"}).Where("project_id = ?", project)
	return store.List(ctx, q, lq, p, func(r *sql.Rows) (*Snapshot, string, error) {
		s, err := scanSnapshot(r)
		if err != nil {
			return nil, "", err
		}
		return s, s.ID, nil
	})
}

// Get reads one snapshot of a project.
func Get(ctx context.Context, q store.Querier, project, id string) (*Snapshot, error) {
	s, err := scanSnapshot(q.QueryRow(ctx, "SELECT "+snapshotColumns+" FROM project_snapshots WHERE project_id = ? AND id = ?", project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("testSnapshot", id)
	}
	return s, err
}

// load reads a snapshot with its saved state.
func load(ctx context.Context, q store.Querier, project, id string) (*Snapshot, string, error) {
	s, err := Get(ctx, q, project, id)
	if err != nil {
		return nil, "", err
	}
	var data string
	if err := q.QueryRow(ctx, "SELECT data FROM project_snapshots WHERE id = ?", id).Scan(&data); err != nil {
		return nil, "", err
	}
	return s, data, nil
}

// Contents renders every covered row of a project, table by table, each
// row as its JSON in sorted order: what a snapshot saves, in a form two
// states can be compared in (tests, and `cellgate testing show`).
func Contents(ctx context.Context, q store.Querier, project string) (map[string][]string, error) {
	tables, err := coveredTables(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, t := range tables {
		r, err := readRows(ctx, q, "SELECT "+strings.Join(t.columns, ", ")+" FROM "+t.name+" WHERE "+t.selector(), project)
		if err != nil {
			return nil, err
		}
		for _, row := range r.Rows {
			b, err := json.Marshal(row)
			if err != nil {
				return nil, err
			}
			out[t.name] = append(out[t.name], string(b))
		}
		slices.Sort(out[t.name])
	}
	return out, nil
}
