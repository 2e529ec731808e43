package console

import (
	"time"

	"cellgate/internal/porting"
	"cellgate/internal/projects"
)

// The portings page: portings by status with how long each has been in
// it, against the donor's usual time, so a stuck one stands out (seed
// 000: escalate a port still requested past the donor's business days).

func init() {
	Register(Page{Route: "GET /portings", Nav: "Portings", Order: 35, Handle: (*Console).portingList})
}

// portingRow is a porting with its time in status.
type portingRow struct {
	*porting.Porting
	Since time.Time
	// BusinessDays elapsed since Since, and Usual for its donor (0:
	// unknown donor or not waiting on one).
	BusinessDays, Usual int
	Late                bool
}

type portingsData struct {
	Status   string
	Statuses []string
	Portings []portingRow
	Pager    pager
}

func (c *Console) portingList(rq *request) (*answer, error) {
	p, err := pageOf(rq)
	if err != nil {
		return nil, err
	}
	var f porting.Filter
	if f.Status, err = filter(rq, "status", porting.Statuses...); err != nil {
		return nil, err
	}
	now, err := projects.Now(rq.ctx, c.db, rq.project.ID)
	if err != nil {
		return nil, err
	}
	page, err := c.platform.Subscriptions.Porting.List(rq.ctx, c.db, rq.project.ID, f, p)
	if err != nil {
		return nil, err
	}
	rows := make([]portingRow, len(page.Items))
	for i, pt := range page.Items {
		rows[i] = timeInStatus(pt, now)
	}
	return &answer{page: "portings", data: portingsData{Status: f.Status, Statuses: porting.Statuses, Portings: rows, Pager: pagerOf(rq, page)}}, nil
}

// timeInStatus is when the porting entered its status, as far as its
// fields tell, and for a requested one the donor's usual time.
func timeInStatus(p *porting.Porting, now time.Time) portingRow {
	r := portingRow{Porting: p, Since: p.CreatedAt}
	for _, t := range []*time.Time{p.LastRequestedAt, p.LastDeclinedAt, p.CompletedAt, p.CanceledAt, p.ExpiredAt} {
		if t != nil && t.After(r.Since) {
			r.Since = *t
		}
	}
	r.BusinessDays = businessDaysBetween(r.Since, now)
	if p.Status == porting.StatusRequested && p.DonorProvider != nil {
		r.Usual = porting.UsualBusinessDays(p.DonorProvider.ID)
		r.Late = r.Usual > 0 && r.BusinessDays > r.Usual
	}
	return r
}

// businessDaysBetween counts the weekdays after from up to and including
// to's day.
func businessDaysBetween(from, to time.Time) int {
	n := 0
	for d := from.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}
