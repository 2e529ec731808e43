-- +goose Up
-- Webhook endpoints and the transactional outbox of their deliveries.
-- Delivery times are wall-clock Unix microseconds, for test projects too.

CREATE TABLE webhook_endpoints (
    id                    {{id}} PRIMARY KEY,
    project_id            {{id}} NOT NULL REFERENCES projects (id),
    url                   TEXT NOT NULL,
    description           TEXT,
    -- JSON array of full event types; NULL means every type.
    enabled_events        TEXT,
    -- What enqueueing matches: '*' for every type, or the types separated
    -- and surrounded by spaces (' com.gigs.user.created ').
    event_match           TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    -- The signing secret (whsec_...), and the one it replaced, which keeps
    -- signing until previous_secret_until.
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_secret_until BIGINT,
    -- When the current run of failed attempts began; NULL after a success.
    failing_since         BIGINT,
    disabled_reason       TEXT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_project ON webhook_endpoints (project_id, id);
-- Every event looks up the enabled endpoints of its project.
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (project_id, status);

-- One row per (endpoint, event), inserted in the transaction that records
-- the event. id is the webhook-id, the same on every attempt. A pending
-- row is due at next_attempt_at; a worker that claims it moves
-- next_attempt_at past its send timeout, so a crash only delays it.
-- endpoint_id has no foreign key on purpose: on PostgreSQL an event
-- committing while its endpoint is deleted would otherwise fail the
-- request that caused the event; the worker drops such orphans instead.
CREATE TABLE webhook_deliveries (
    endpoint_id     {{id}} NOT NULL,
    id              {{id}} NOT NULL,
    project_id      {{id}} NOT NULL,
    event_id        {{id}} NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (endpoint_id, status, created_at);

-- Every attempt: when, the answer's status code (NULL when there was
-- none), how long it took and what went wrong.
CREATE TABLE webhook_attempts (
    endpoint_id  {{id}} NOT NULL,
    delivery_id  {{id}} NOT NULL,
    attempt      INTEGER NOT NULL,
    attempted_at BIGINT NOT NULL,
    status_code  INTEGER,
    latency_us   BIGINT NOT NULL,
    error        TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (endpoint_id, delivery_id, attempt);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
