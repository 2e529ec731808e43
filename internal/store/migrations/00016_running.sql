-- +goose Up
-- Saved states of test projects (internal/snapshots): data is the JSON of
-- every covered row of the project at clock_at, the project's clock then.
CREATE TABLE project_snapshots (
    id         {{id}} PRIMARY KEY,
    project_id {{id}} NOT NULL REFERENCES projects (id),
    name       TEXT NOT NULL,
    clock_at   BIGINT NOT NULL,
    row_count  BIGINT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX project_snapshots_by_project ON project_snapshots (project_id, id);

-- Retention (internal/retention) finds old finished records by these,
-- without scanning the tables; each index holds only the rows it purges.
CREATE INDEX webhook_deliveries_sent ON webhook_deliveries (updated_at) WHERE status = 'succeeded';
CREATE INDEX operations_finished ON operations (updated_at) WHERE status IN ('succeeded', 'canceled');
-- An event is kept while a delivery of it may still be sent or replayed.
CREATE INDEX webhook_deliveries_owed ON webhook_deliveries (event_id) WHERE status <> 'succeeded';

-- +goose Down
DROP INDEX webhook_deliveries_owed;
DROP INDEX operations_finished;
DROP INDEX webhook_deliveries_sent;
DROP TABLE project_snapshots;
