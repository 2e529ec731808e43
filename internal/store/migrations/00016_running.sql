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

-- +goose Down
DROP TABLE project_snapshots;
