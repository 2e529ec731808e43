package usage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cellgate/internal/network"
	"cellgate/internal/outbound"
	"cellgate/internal/store"
)

// The feed of a provider is read per project by a chain of poll
// operations: each reads one batch after the stored cursor with no
// transaction open, and its Apply ingests the batch, moves the cursor and
// records the next poll, all in one transaction. A batch is ingested only
// if the cursor it was read from is still the stored one, so a poll that
// runs twice, or a second chain, changes nothing.

// Poll intervals: a live project's feed is read every LivePollEvery of the
// wall clock; a test project's once a day on its own clock, at midnight
// UTC, so a year of usage takes 365 polls.
const (
	LivePollEvery = 5 * time.Minute
	TestPollEvery = 24 * time.Hour
)

// poll is the payload of a poll operation.
type poll struct {
	Provider string `json:"provider"`
	Cursor   string `json:"cursor"`
}

// feedSubject names a project's feed of a provider as the subject of its
// polls: one poll of a feed runs at a time, in order.
func feedSubject(project, provider string) string { return "usage/" + project + "/" + provider }

// Watch makes sure the project reads the provider's feed: it records the
// feed and, unless a poll is pending, the first poll, due now.
func Watch(ctx context.Context, tx *store.Tx, project, provider string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO usage_feeds (project_id, provider, caught_up_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		project, provider, store.Micros(now)); err != nil {
		return fmt.Errorf("usage: watch %s: %w", provider, err)
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM operations WHERE subject = ? AND status = 'pending' LIMIT 1`, feedSubject(project, provider)).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var cursor string
	if err := tx.QueryRow(ctx, `SELECT cursor FROM usage_feeds WHERE project_id = ? AND provider = ?`, project, provider).Scan(&cursor); err != nil {
		return err
	}
	return enqueuePoll(ctx, tx, project, provider, cursor, now)
}

// WatchLive is Watch for a live project; a test project reads a feed only
// once one of its lines has a traffic model, so that its other tests see
// no usage they did not ask for.
func WatchLive(ctx context.Context, tx *store.Tx, project, provider string, now time.Time) error {
	var live bool
	if err := tx.QueryRow(ctx, `SELECT clock_now IS NULL FROM projects WHERE id = ?`, project).Scan(&live); err != nil {
		return fmt.Errorf("usage: project %s: %w", project, err)
	}
	if !live {
		return nil
	}
	return Watch(ctx, tx, project, provider, now)
}

func enqueuePoll(ctx context.Context, tx *store.Tx, project, provider, cursor string, due time.Time) error {
	_, err := outbound.Enqueue(ctx, tx, outbound.Request{Project: project, Kind: OpPoll, Subject: feedSubject(project, provider),
		Target: provider, Payload: poll{Provider: provider, Cursor: cursor}, DueAt: due})
	return err
}

// nextPoll is when the poll after one at now is due.
func nextPoll(ctx context.Context, tx *store.Tx, project string, now time.Time) (time.Time, error) {
	var live bool
	if err := tx.QueryRow(ctx, `SELECT clock_now IS NULL FROM projects WHERE id = ?`, project).Scan(&live); err != nil {
		return time.Time{}, err
	}
	if live {
		return now.Add(LivePollEvery), nil
	}
	return now.Truncate(TestPollEvery).Add(TestPollEvery), nil
}

func (s *Service) performPoll(ctx context.Context, op outbound.Operation, now time.Time) (any, error) {
	var p poll
	if err := op.Decode(&p); err != nil {
		return nil, outbound.PermanentError(err)
	}
	carrier, err := s.Carriers.Provider(p.Provider)
	if err != nil {
		return nil, outbound.PermanentError(err)
	}
	return carrier.Usage(ctx, network.UsageRequest{Meta: network.Meta{Project: op.Project, Now: now}, Cursor: p.Cursor, Limit: network.MaxUsageLimit})
}

// applyPoll ingests a batch read from the stored cursor, moves the cursor
// and records the next poll: at once when the batch was full (more is
// waiting), else at the next interval.
func (s *Service) applyPoll(ctx context.Context, tx *store.Tx, op outbound.Operation, result json.RawMessage, now time.Time) error {
	var batch network.UsageBatch
	if err := json.Unmarshal(result, &batch); err != nil {
		return fmt.Errorf("usage: batch of %s: %w", op.Target, err)
	}
	return applyBatch(ctx, tx, op, batch, now)
}

// applyPollValue is applyPoll with the batch Perform returned, as it is:
// the runner's path, which skips encoding a thousand records to JSON and
// decoding them again.
func (s *Service) applyPollValue(ctx context.Context, tx *store.Tx, op outbound.Operation, result any, now time.Time) error {
	switch b := result.(type) {
	case network.UsageBatch:
		return applyBatch(ctx, tx, op, b, now)
	case *network.UsageBatch:
		return applyBatch(ctx, tx, op, *b, now)
	}
	return s.applyPoll(ctx, tx, op, []byte(store.JSON(result)), now)
}

func applyBatch(ctx context.Context, tx *store.Tx, op outbound.Operation, batch network.UsageBatch, now time.Time) error {
	var p poll
	if err := op.Decode(&p); err != nil {
		return err
	}
	var cursor string
	err := tx.QueryRow(ctx, `SELECT cursor FROM usage_feeds WHERE project_id = ? AND provider = ?`+tx.Dialect().ForUpdate(),
		op.Project, p.Provider).Scan(&cursor)
	if err != nil {
		return fmt.Errorf("usage: feed %s: %w", p.Provider, err)
	}
	if cursor != p.Cursor {
		return nil // read from a cursor that has moved on: ingested already
	}
	if _, err := Ingest(ctx, tx, op.Project, p.Provider, batch.Records, now); err != nil {
		return err
	}
	// A batch shorter than the limit read the feed to its end: the feed
	// has caught up (see Lag).
	caughtUp := len(batch.Records) < network.MaxUsageLimit
	if _, err := tx.Exec(ctx, `UPDATE usage_feeds SET cursor = ?, records = records + ?, polled_at = ?,
		caught_up_at = CASE WHEN ? THEN ? ELSE caught_up_at END WHERE project_id = ? AND provider = ?`,
		batch.NextCursor, len(batch.Records), store.Micros(now), caughtUp, store.Micros(now), op.Project, p.Provider); err != nil {
		return err
	}
	due := now
	if caughtUp {
		if due, err = nextPoll(ctx, tx, op.Project, now); err != nil {
			return err
		}
	}
	return enqueuePoll(ctx, tx, op.Project, p.Provider, batch.NextCursor, due)
}

// failPoll keeps the chain going when a poll gives up: the next one reads
// from the same cursor at the next interval.
func failPoll(ctx context.Context, tx *store.Tx, op outbound.Operation, now time.Time) error {
	var p poll
	if err := op.Decode(&p); err != nil {
		return err
	}
	due, err := nextPoll(ctx, tx, op.Project, now)
	if err != nil {
		return err
	}
	return enqueuePoll(ctx, tx, op.Project, p.Provider, p.Cursor, due)
}

// pollSummary is what a poll keeps as its result: the count and cursor,
// not the records, which live on as aggregates.
func pollSummary(result any) any {
	batch, _ := result.(network.UsageBatch)
	return map[string]any{"records": len(batch.Records), "nextCursor": batch.NextCursor}
}

func noConsequence(context.Context, *store.Tx, outbound.Operation, json.RawMessage, time.Time) error {
	return nil
}
