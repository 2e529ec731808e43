package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cellgate/internal/ids"
	"cellgate/internal/network"
	"cellgate/internal/store"
)

// Orphan is a feed record that names no line cellgate knows (or cannot be
// counted), kept for operators: `cellgate usage orphans`.
type Orphan struct {
	ID         string              `json:"id"`
	Project    string              `json:"project"`
	Provider   string              `json:"provider"`
	Reason     string              `json:"reason"`
	ICCID      string              `json:"iccid"`
	Record     network.UsageRecord `json:"record"`
	ReceivedAt time.Time           `json:"receivedAt"`
}

// keepAside stores a record that cannot be counted, with the reason.
func keepAside(ctx context.Context, tx *store.Tx, project, provider, reason string, r network.UsageRecord, now time.Time) error {
	iccid := r.ICCID
	if len(iccid) > 64 {
		iccid = iccid[:64]
	}
	_, err := tx.Exec(ctx, `INSERT INTO usage_orphans (id, project_id, provider, reason, iccid, record, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ids.New(ids.UsageOrphan), project, provider, reason, iccid, store.JSON(r), store.Micros(now))
	if err != nil {
		return fmt.Errorf("usage: keep a record aside: %w", err)
	}
	return nil
}

// Orphans lists the records kept aside, oldest first; project "" is every
// project.
func Orphans(ctx context.Context, q store.Querier, project string, limit int) ([]Orphan, error) {
	where, args := "", []any{}
	if project != "" {
		where, args = " WHERE project_id = ?", append(args, project)
	}
	return store.All(ctx, q, func(sc store.Scanner) (Orphan, error) {
		var (
			o   Orphan
			rec string
			at  int64
		)
		if err := sc.Scan(&o.ID, &o.Project, &o.Provider, &o.Reason, &o.ICCID, &rec, &at); err != nil {
			return o, err
		}
		o.ReceivedAt = store.Time(at)
		return o, json.Unmarshal([]byte(rec), &o.Record)
	}, `SELECT id, project_id, provider, reason, iccid, record, received_at FROM usage_orphans`+where+` ORDER BY id LIMIT ?`, append(args, limit)...)
}

// RegisterMetrics publishes the gauge of records kept aside and the lag
// of the feeds (see Lags).
func RegisterMetrics(reg prometheus.Registerer, db *store.DB) {
	reg.MustRegister(&lagCollector{db: db, wall: time.Now,
		lag: prometheus.NewDesc("cellgate_usage_feed_lag_seconds",
			"How far behind the usage feeds of a provider are: the largest time, over the live projects reading it, since a poll last read the feed to its end.",
			[]string{"provider"}, nil),
		behind: prometheus.NewDesc("cellgate_usage_feeds_behind",
			"Usage feeds of live projects on a provider more than three poll intervals (15 minutes) behind.",
			[]string{"provider"}, nil)})
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cellgate_usage_orphan_records",
		Help: "Usage records from carrier feeds that name no known line (or cannot be counted), kept aside for operators.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var n int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM usage_orphans`).Scan(&n); err != nil {
			return -1
		}
		return float64(n)
	}))
}
