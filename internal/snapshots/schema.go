// Package snapshots saves, restores and clears the whole state of a test
// project: every row of every table that holds project data, found from
// the database schema itself, so a table added by a later migration is
// covered without a change here (docs/testing.md, "Snapshots and reset").
package snapshots

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cellgate/internal/store"
)

// ProjectColumn is the column that ties a row to its project. Every table
// that has it holds project data, unless it is listed in Kept.
const ProjectColumn = "project_id"

// Kept are tables with a project column that a snapshot leaves alone: the
// API keys (a test suite keeps authenticating across a restore), the
// console operators' roles (who may sign in does not roll back) and the
// snapshots themselves.
var Kept = []string{"api_keys", "operator_roles", "project_snapshots"}

// child is a table without a project column whose rows belong to a
// project through a parent row; where selects them, with one placeholder
// for the project id.
type child struct {
	where string
	// pool marks a shared pool whose rows outlive a project: clearing
	// frees them (sets column to NULL) instead of deleting them, and a
	// restore claims them back.
	pool string
}

// Children are the tables that hold project data without a project
// column. TestEveryTableIsClassified fails on a table that is in none of
// Children, Global and Kept and has no project column.
var Children = map[string]child{
	"webhook_attempts":   {where: `endpoint_id IN (SELECT id FROM webhook_endpoints WHERE project_id = ?)`},
	"operation_attempts": {where: `operation_id IN (SELECT id FROM operations WHERE project_id = ?)`},
	"phone_numbers":      {where: `sim_id IN (SELECT id FROM sims WHERE project_id = ?)`, pool: "sim_id"},
	"usage_days":         {where: `subscription_id IN (SELECT id FROM subscriptions WHERE project_id = ?)`},
	"usage_periods":      {where: `subscription_id IN (SELECT id FROM subscriptions WHERE project_id = ?)`},
	"usage_addons":       {where: `subscription_id IN (SELECT id FROM subscriptions WHERE project_id = ?)`},
	"device_sims":        {where: `device_id IN (SELECT id FROM devices WHERE project_id = ?)`},
}

// Global are tables that hold no project's data: the projects themselves
// (a snapshot keeps the clock and settings columns of its row, see
// projectKeep), counters shared by every project, the console's
// operators with their sessions and login failures, the built-in carrier
// simulators' own storage (a carrier's state is not the project's), and
// the migration bookkeeping.
var Global = []string{"projects", "number_sequences", "operators", "operator_sessions", "operator_login_failures",
	"simulator_state", "goose_db_version"}

// table is one table a snapshot covers, with its columns in schema order
// and the covered tables its foreign keys point at.
type table struct {
	name    string
	columns []string
	refs    []string
	child   *child
}

// selector is the WHERE clause that picks the project's rows.
func (t table) selector() string {
	if t.child != nil {
		return t.child.where
	}
	return ProjectColumn + " = ?"
}

// schemaTable is a table as the database describes it.
type schemaTable struct {
	name    string
	columns []string
	refs    []string
}

// readSchema lists the database's tables with their columns and the
// tables their foreign keys reference.
func readSchema(ctx context.Context, q store.Querier) ([]schemaTable, error) {
	var query string
	if q.Dialect() == store.Postgres {
		query = `SELECT c.table_name, c.column_name,
			COALESCE((SELECT string_agg(DISTINCT f.confrelid::regclass::text, ',') FROM pg_constraint f
				WHERE f.contype = 'f' AND f.conrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass), '')
			FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
			ORDER BY c.table_name, c.ordinal_position`
	} else {
		query = `SELECT m.name, c.name,
			COALESCE((SELECT group_concat(DISTINCT f."table") FROM pragma_foreign_key_list(m.name) f), '')
			FROM sqlite_master m JOIN pragma_table_info(m.name) c
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
			ORDER BY m.name, c.cid`
	}
	rows, err := q.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("snapshots: read the schema: %w", err)
	}
	defer rows.Close()
	var out []schemaTable
	for rows.Next() {
		var name, column, refs string
		if err := rows.Scan(&name, &column, &refs); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].name != name {
			st := schemaTable{name: name}
			for _, r := range strings.Split(refs, ",") {
				// PostgreSQL may qualify a name outside the search path.
				if r = r[strings.LastIndex(r, ".")+1:]; r != "" && r != name {
					st.refs = append(st.refs, strings.Trim(r, `"`))
				}
			}
			out = append(out, st)
		}
		out[len(out)-1].columns = append(out[len(out)-1].columns, column)
	}
	return out, rows.Err()
}

// Unclassified lists the tables of the database that hold no project
// column and are in none of Children, Global and Kept: tables whose data a
// snapshot would silently miss if they belonged to a project.
func Unclassified(ctx context.Context, q store.Querier) ([]string, error) {
	schema, err := readSchema(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range schema {
		_, isChild := Children[st.name]
		if !slices.Contains(st.columns, ProjectColumn) && !isChild && !slices.Contains(Global, st.name) && !slices.Contains(Kept, st.name) {
			out = append(out, st.name)
		}
	}
	return out, nil
}

// coveredTables lists the tables a snapshot covers, ordered so that every
// table comes after the tables it references: inserting in this order and
// deleting in reverse never breaks a foreign key.
func coveredTables(ctx context.Context, q store.Querier) ([]table, error) {
	schema, err := readSchema(ctx, q)
	if err != nil {
		return nil, err
	}
	byName := map[string]table{}
	for _, st := range schema {
		t := table{name: st.name, columns: st.columns, refs: st.refs}
		if c, ok := Children[st.name]; ok {
			t.child = &c
		} else if !slices.Contains(st.columns, ProjectColumn) || slices.Contains(Kept, st.name) {
			continue
		}
		byName[st.name] = t
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	var (
		out   []table
		state = map[string]int{} // 1 visiting, 2 done
		visit func(string) error
	)
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("snapshots: foreign keys form a cycle through %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, r := range byName[n].refs {
			if _, ok := byName[r]; ok {
				if err := visit(r); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		out = append(out, byName[n])
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}
