-- +goose Up
-- Outbound operations: every call cellgate must make to an outside system
-- (a carrier, later a payment provider), recorded by the transaction that
-- decides it and performed after commit by a worker (docs/outbound.md).
-- due_at is on the project's clock; leased_until and the attempt times are
-- the wall clock.
CREATE TABLE operations (
    id           {{id}} PRIMARY KEY,
    project_id   {{id}} NOT NULL REFERENCES projects (id),
    kind         TEXT NOT NULL,
    -- The resource the operation is about (sub_..., sim_...).
    subject      TEXT NOT NULL,
    -- The outside system it calls: a provider id.
    target       TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    due_at       BIGINT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- attempts when an operator last retried it: the bound counts from here.
    retry_base   INTEGER NOT NULL DEFAULT 0,
    leased_until BIGINT,
    last_error   TEXT,
    result       TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX operations_due ON operations (due_at, id) WHERE status = 'pending';
CREATE INDEX operations_by_project ON operations (project_id, status, due_at, id);
-- Calls about one subject run in turn; cancels find a subject's calls.
CREATE INDEX operations_by_subject ON operations (subject, status, id);
-- The failed-operations gauge and the operator listing.
CREATE INDEX operations_failed ON operations (id) WHERE status = 'failed';

-- Every attempt of an operation. outcome is NULL while the call runs, and
-- stays NULL for an attempt a crash interrupted.
CREATE TABLE operation_attempts (
    operation_id {{id}} NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    outcome      TEXT CHECK (outcome IN ('succeeded', 'retry', 'failed', 'superseded')),
    error        TEXT,
    PRIMARY KEY (operation_id, attempt)
);

-- +goose Down
DROP TABLE operation_attempts;
DROP TABLE operations;
