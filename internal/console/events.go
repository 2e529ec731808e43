package console

import (
	"strings"

	"cellgate/internal/errs"
	"cellgate/internal/events"
)

func init() {
	Register(
		Page{Route: "GET /events", Nav: "Events", Order: 50, Handle: (*Console).eventList},
		Page{Route: "GET /events/{event}", Handle: (*Console).event},
	)
}

type eventsData struct {
	Type, Resource string
	Events         []*events.Event
	Pager          pager
}

// eventList is the whole log, filtered by type and resource.
func (c *Console) eventList(rq *request) (*answer, error) {
	p, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	d := eventsData{Type: strings.TrimSpace(rq.URL.Query().Get("type"))}
	var f events.Filter
	if d.Type != "" {
		full, ok := events.Normalize(d.Type)
		if !ok {
			return nil, errs.Invalid("invalidEnumValue", "There is no event type %q.", d.Type)
		}
		f.Types = []string{full}
	}
	if d.Resource, err = idFilter(rq, "resource"); err != nil {
		return nil, err
	}
	f.Subject = d.Resource
	page, err := events.List(rq.ctx, c.db, rq.project.ID, f, p, c.source)
	if err != nil {
		return nil, err
	}
	d.Events, d.Pager = page.Items, pagerOf(rq, page)
	return &answer{page: "events", data: d}, nil
}

func (c *Console) event(rq *request) (*answer, error) {
	id, err := pathID(rq, "event", "event")
	if err != nil {
		return nil, err
	}
	e, err := events.Get(rq.ctx, c.db, rq.project.ID, id, c.source)
	if err != nil {
		return nil, err
	}
	return &answer{page: "event", data: e}, nil
}
