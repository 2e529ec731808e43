package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cellgate/internal/store"
	"cellgate/internal/usage"
)

// usageChart is one server-rendered SVG chart of a subscription's period:
// a bar per day of use, the running total as a line, and the allowance as
// a dashed line on the same scale.
type usageChart struct {
	Type, Title           string
	Width, Height         int
	Bars                  []chartBar
	Total                 string // polyline points of the running total
	AllowanceY            float64
	HasAllowance          bool
	UsedLabel, LimitLabel string
}

type chartBar struct {
	X, Y, W, H float64
	Label      string
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH, chartPad = 600, 160, 4
)

// usageCharts reads the subscription's current period (its daily records
// and balances, through package usage as GET .../usage and .../balances
// do) and draws data, voice and SMS. The top-ups' balances come back
// beside the charts, to be listed.
func (c *Console) usageCharts(ctx context.Context, q store.Querier, project, id string) ([]usageChart, []usage.Balance, error) {
	recs, err := usage.Records(ctx, q, project, id, usage.Query{})
	if err != nil {
		return nil, nil, err
	}
	bals, err := usage.Balances(ctx, q, project, id)
	if err != nil {
		return nil, nil, err
	}
	if len(bals) == 0 || bals[0].UsableFrom == nil || bals[0].UsableUntil == nil {
		return nil, nil, nil // not started: nothing to draw yet
	}
	from := bals[0].UsableFrom.UTC().Truncate(24 * time.Hour)
	days := int(bals[0].UsableUntil.Sub(from).Hours()/24) + 1
	days = max(1, min(days, 400))
	out := make([]usageChart, 0, len(bals))
	var topUps []usage.Balance
	for _, b := range bals {
		if b.Source.Type != usage.SourcePeriod {
			// A top-up's balance is listed, not charted: the days'
			// records are the period's.
			topUps = append(topUps, b)
			continue
		}
		per := make([]int64, days)
		for _, r := range recs {
			if d := int(r.Start.UTC().Sub(from).Hours() / 24); d >= 0 && d < days {
				per[d] += pick(r, b.Allowance.Type)
			}
		}
		out = append(out, drawChart(b, per))
	}
	return out, topUps, nil
}

var chartTitles = map[string]string{usage.TypeData: "Data", usage.TypeVoice: "Voice", usage.TypeSMS: "SMS"}

func pick(r usage.Record, typ string) int64 {
	switch typ {
	case usage.TypeData:
		return r.Data
	case usage.TypeVoice:
		return r.Voice
	}
	return r.SMS
}

// drawChart scales a period's daily use and its allowance to the chart.
func drawChart(b usage.Balance, per []int64) usageChart {
	ch := usageChart{Type: b.Allowance.Type, Title: chartTitles[b.Allowance.Type], Width: chartW, Height: chartH}
	var total, top int64
	for _, v := range per {
		total += v
	}
	top = total
	if b.Limit != nil && *b.Limit > top {
		top = *b.Limit
	}
	top = max(top, 1)
	y := func(v int64) float64 { return chartPad + (chartH-2*chartPad)*(1-float64(v)/float64(top)) }
	step := float64(chartW-2*chartPad) / float64(len(per))
	var pts []string
	var run int64
	for i, v := range per {
		x := chartPad + float64(i)*step
		if v > 0 {
			ch.Bars = append(ch.Bars, chartBar{X: x + step*0.1, Y: y(v), W: step * 0.8, H: y(0) - y(v), Label: fmt.Sprintf("day %d: %s", i+1, formatUnit(v, b.Unit))})
		}
		run += v
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x+step/2, y(run)))
	}
	ch.Total = strings.Join(pts, " ")
	ch.UsedLabel = formatUnit(total, b.Unit)
	ch.LimitLabel = "unlimited"
	if b.Limit != nil {
		ch.HasAllowance, ch.AllowanceY, ch.LimitLabel = true, y(*b.Limit), formatUnit(*b.Limit, b.Unit)
	}
	return ch
}

// formatUnit shows an amount of a balance's unit for people.
func formatUnit(v int64, unit string) string {
	switch unit {
	case usage.UnitBytes:
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.2f GB", float64(v)/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.1f MB", float64(v)/1e6)
		}
		return fmt.Sprintf("%d B", v)
	case usage.UnitSeconds:
		return fmt.Sprintf("%d min", (v+59)/60)
	}
	return fmt.Sprintf("%d SMS", v)
}
