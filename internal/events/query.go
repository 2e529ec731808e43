package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/errs"
	"cellgate/internal/store"
)

// DefaultSource is the CloudEvents source when the server has no public
// base URL configured.
const DefaultSource = "http://127.0.0.1:8080"

// Event is the documented envelope (reference §1.7).
type Event struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Data            json.RawMessage `json:"data"`
	DataContentType string          `json:"datacontenttype"`
	Project         string          `json:"project"`
	Source          string          `json:"source"`
	SpecVersion     string          `json:"specversion"`
	Time            time.Time       `json:"time"`
	Version         string          `json:"version"`
	Actor           json.RawMessage `json:"actor"`
	PreviousData    json.RawMessage `json:"previousData,omitempty"`
}

const eventColumns = `id, project_id, type, data, previous_data, actor, time`

func scanEvent(row interface{ Scan(...any) error }, source string) (*Event, error) {
	var (
		e     Event
		data  string
		prev  sql.NullString
		actor string
		at    int64
	)
	if err := row.Scan(&e.ID, &e.Project, &e.Type, &data, &prev, &actor, &at); err != nil {
		return nil, err
	}
	e.Object, e.DataContentType, e.SpecVersion, e.Version, e.Source = "event", "application/json", "1.0", APIVersion, source
	e.Data, e.Actor, e.Time = json.RawMessage(data), json.RawMessage(actor), store.Time(at)
	if prev.Valid {
		e.PreviousData = json.RawMessage(prev.String)
	}
	return &e, nil
}

// Get reads one event of a project.
func Get(ctx context.Context, q store.Querier, project, id, source string) (*Event, error) {
	e, err := scanEvent(q.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ? AND project_id = ?`, id, project), source)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("event", id)
	}
	if err != nil {
		return nil, fmt.Errorf("events: get %s: %w", id, err)
	}
	return e, nil
}

// Filter narrows a list of events.
type Filter struct {
	Types   []string // full type names, com.gigs.*
	Subject string   // the id of the resource concerned
}

// List pages through a project's events, newest first.
func List(ctx context.Context, q store.Querier, project string, f Filter, p store.Page, source string) (store.PageOf[*Event], error) {
	lq := &store.ListQuery{Select: `SELECT ` + eventColumns + ` FROM events`}
	lq.Where("project_id = ?", project)
	if len(f.Types) > 0 {
		lq.WhereIn("type", f.Types)
	}
	if f.Subject != "" {
		lq.Where("subject = ?", f.Subject)
	}
	return store.List(ctx, q, lq, p, func(rows *sql.Rows) (*Event, string, error) {
		e, err := scanEvent(rows, source)
		if err != nil {
			return nil, "", err
		}
		return e, e.ID, nil
	})
}
