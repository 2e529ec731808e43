package snapshots

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/ids"
	"cellgate/internal/projects"
	"cellgate/internal/store"
)

// Snapshot is the API representation of a saved test project.
type Snapshot struct {
	Object    string    `json:"object"`
	ID        string    `json:"id"`
	Project   string    `json:"project"`
	Name      string    `json:"name"`
	Clock     time.Time `json:"clock"`
	Rows      int64     `json:"rows"`
	CreatedAt time.Time `json:"createdAt"`
}

// projectKeep are the columns of the project row a snapshot does not
// save: what the project is, not its state.
var projectKeep = []string{"id", "type", "created_at"}

// testProject takes the project's clock lock exclusively, so no write of
// the project runs beside a snapshot, restore or reset, and refuses a live
// project: its data is real.
func testProject(ctx context.Context, tx *store.Tx, project string) (*projects.Project, error) {
	if err := projects.LockClock(ctx, tx, project); err != nil {
		return nil, err
	}
	p, err := projects.Get(ctx, tx, project)
	if err != nil {
		return nil, err
	}
	if !p.IsTest() {
		return nil, errs.PermissionDenied("liveProjectTesting", "Project %q is a live project: snapshots, restore and reset are for test projects only.", p.ID)
	}
	return p, nil
}

// Create saves the whole state of a test project, clock included.
func Create(ctx context.Context, tx *store.Tx, project, name string, now time.Time) (*Snapshot, error) {
	if _, err := testProject(ctx, tx, project); err != nil {
		return nil, err
	}
	tables, err := coveredTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	st := state{Tables: map[string]rows{}}
	var count int64
	for _, t := range tables {
		r, err := readRows(ctx, tx, "SELECT "+strings.Join(t.columns, ", ")+" FROM "+t.name+" WHERE "+t.selector(), project)
		if err != nil {
			return nil, fmt.Errorf("snapshots: read %s: %w", t.name, err)
		}
		if len(r.Rows) > 0 {
			st.Tables[t.name] = r
			count += int64(len(r.Rows))
		}
	}
	pr, err := readRows(ctx, tx, "SELECT * FROM projects WHERE id = ?", project)
	if err != nil || len(pr.Rows) != 1 {
		return nil, fmt.Errorf("snapshots: read project %s: %v", project, err)
	}
	st.Project = map[string]value{}
	for i, c := range pr.Columns {
		if !slices.Contains(projectKeep, c) {
			st.Project[c] = pr.Rows[0][i]
		}
	}
	clock, _ := st.Project["clock_now"].v.(int64)
	data, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Object: "testSnapshot", ID: ids.New(ids.Snapshot), Project: project, Name: name,
		Clock: store.Time(clock), Rows: count, CreatedAt: now.UTC()}
	_, err = tx.Exec(ctx, `INSERT INTO project_snapshots (id, project_id, name, clock_at, row_count, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.ID, project, name, clock, count, string(data), store.Micros(s.CreatedAt))
	return s, err
}

// Restore brings a test project back to a snapshot: every covered row of
// the project is replaced by the saved ones, and its clock and settings
// are set back. API keys and snapshots stay as they are.
func Restore(ctx context.Context, tx *store.Tx, project, id string) (*Snapshot, error) {
	if _, err := testProject(ctx, tx, project); err != nil {
		return nil, err
	}
	s, raw, err := load(ctx, tx, project, id)
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return nil, fmt.Errorf("snapshots: decode %s: %w", id, err)
	}
	tables, err := coveredTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := checkCovers(tables, st); err != nil {
		return nil, err
	}
	if err := clear(ctx, tx, tables, project); err != nil {
		return nil, err
	}
	progress, _ := ctx.Value(progressKey{}).(Progress)
	done := 0
	for _, t := range tables {
		if r, ok := st.Tables[t.name]; ok {
			if err := insertRows(ctx, tx, t, r, project); err != nil {
				return nil, err
			}
			if done += len(r.Rows); progress != nil {
				progress(done, int(s.Rows))
			}
		}
	}
	return s, restoreProjectRow(ctx, tx, project, st.Project)
}

// Progress hears, during a restore, how many of the snapshot's rows are
// back.
type Progress func(done, total int)

type progressKey struct{}

// WithProgress makes a restore run with ctx report to f (a progress bar).
func WithProgress(ctx context.Context, f Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
}

// Reset clears every covered row of a test project. Its clock, settings,
// API keys and snapshots stay.
func Reset(ctx context.Context, tx *store.Tx, project string) error {
	if _, err := testProject(ctx, tx, project); err != nil {
		return err
	}
	tables, err := coveredTables(ctx, tx)
	if err != nil {
		return err
	}
	return clear(ctx, tx, tables, project)
}

// checkCovers refuses a snapshot with a table or column the schema no
// longer has: restoring part of it would not be the saved state.
func checkCovers(tables []table, st state) error {
	for name, r := range st.Tables {
		i := slices.IndexFunc(tables, func(t table) bool { return t.name == name })
		if i < 0 {
			return errs.Conflict("snapshotOutdated", "The snapshot holds table %s, which this version of cellgate does not have.", name)
		}
		for _, c := range r.Columns {
			if !slices.Contains(tables[i].columns, c) {
				return errs.Conflict("snapshotOutdated", "The snapshot holds column %s.%s, which this version of cellgate does not have.", name, c)
			}
		}
	}
	return nil
}

// clear removes the project's rows, referencing tables first; a pool's
// rows are freed instead.
func clear(ctx context.Context, tx *store.Tx, tables []table, project string) error {
	for i := len(tables) - 1; i >= 0; i-- {
		t := tables[i]
		q := "DELETE FROM " + t.name + " WHERE " + t.selector()
		if t.child != nil && t.child.pool != "" {
			q = "UPDATE " + t.name + " SET " + t.child.pool + " = NULL WHERE " + t.selector()
		}
		if _, err := tx.Exec(ctx, q, project); err != nil {
			return fmt.Errorf("snapshots: clear %s: %w", t.name, err)
		}
	}
	return nil
}

// insertBatch is how many rows one INSERT carries: few round trips on
// PostgreSQL, well under either engine's limit on parameters.
const insertBatch = 100

func insertRows(ctx context.Context, tx *store.Tx, t table, r rows, project string) error {
	if t.child != nil && t.child.pool != "" {
		return claimPool(ctx, tx, t, r)
	}
	marks := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(r.Columns)), ", ") + ")"
	head := "INSERT INTO " + t.name + " (" + strings.Join(r.Columns, ", ") + ") VALUES "
	for start := 0; start < len(r.Rows); {
		// Whole batches share one statement, the rest go one by one, so
		// at most two statements per table are prepared.
		n := insertBatch
		if len(r.Rows)-start < insertBatch {
			n = 1
		}
		args := make([]any, 0, n*len(r.Columns))
		for _, row := range r.Rows[start : start+n] {
			for _, v := range row {
				args = append(args, v.v)
			}
		}
		q := head + strings.TrimSuffix(strings.Repeat(marks+", ", n), ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("snapshots: restore %s: %w", t.name, err)
		}
		start += n
	}
	return nil
}

// claimPool gives the project back its rows of a shared pool (phone
// numbers): a free row is claimed, a missing one inserted, and a row
// another project holds since the snapshot makes the restore fail.
func claimPool(ctx context.Context, tx *store.Tx, t table, r rows) error {
	key, col := r.Columns[0], slices.Index(r.Columns, t.child.pool)
	if col < 0 {
		return fmt.Errorf("snapshots: %s saved without %s", t.name, t.child.pool)
	}
	for _, row := range r.Rows {
		res, err := tx.Exec(ctx, "UPDATE "+t.name+" SET "+t.child.pool+" = ? WHERE "+key+" = ? AND "+t.child.pool+" IS NULL", row[col].v, row[0].v)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		var one int
		err = tx.QueryRow(ctx, "SELECT 1 FROM "+t.name+" WHERE "+key+" = ?", row[0].v).Scan(&one)
		if err == nil {
			return errs.Conflict("snapshotPoolTaken", "The snapshot's %s %v belongs to another project now; it cannot be restored.", key, row[0].v)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := insertRows(ctx, tx, table{name: t.name}, rows{Columns: r.Columns, Rows: [][]value{row}}, ""); err != nil {
			return err
		}
	}
	return nil
}

func restoreProjectRow(ctx context.Context, tx *store.Tx, project string, saved map[string]value) error {
	cols := make([]string, 0, len(saved))
	for c := range saved {
		cols = append(cols, c)
	}
	slices.Sort(cols)
	sets, args := make([]string, len(cols)), make([]any, 0, len(cols)+1)
	for i, c := range cols {
		sets[i] = c + " = ?"
		args = append(args, saved[c].v)
	}
	if len(cols) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, "UPDATE projects SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, project)...)
	return err
}

// readRows reads a query's rows as saved values.
func readRows(ctx context.Context, q store.Querier, query string, args ...any) (rows, error) {
	rs, err := q.Query(ctx, query, args...)
	if err != nil {
		return rows{}, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return rows{}, err
	}
	out := rows{Columns: cols}
	for rs.Next() {
		vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return rows{}, err
		}
		row := make([]value, len(cols))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = slices.Clone(b)
			}
			if n, ok := v.(int32); ok {
				v = int64(n)
			}
			row[i] = value{v}
		}
		out.Rows = append(out.Rows, row)
	}
	return out, rs.Err()
}
