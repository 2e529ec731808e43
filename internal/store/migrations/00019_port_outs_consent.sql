-- +goose Up
-- Port-outs, consent requests and the built-in simulator's memory
-- (docs/porting.md, "Porting numbers out" and "Consent requests").

-- A port-out: credentials another carrier needs to take a subscription's
-- number away (reference §2.9). account_number and account_pin are the
-- carrier's credentials: kept only while the port-out is issued, never
-- logged or put in an event. open_subscription_id holds the subscription
-- while the port-out is processing, initiated or issued, so a
-- subscription has one open port-out even under concurrent requests.
CREATE TABLE port_outs (
    id                   {{id}} PRIMARY KEY,
    project_id           {{id}} NOT NULL REFERENCES projects (id),
    subscription_id      {{id}} NOT NULL REFERENCES subscriptions (id),
    user_id              {{id}} NOT NULL REFERENCES users (id),
    provider             TEXT NOT NULL,
    phone_number         TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('processing', 'initiated', 'issued', 'expired', 'failed')),
    failure_reason       TEXT,
    open_subscription_id {{id}} UNIQUE,
    account_number       TEXT,
    account_pin          TEXT,
    expired_at           BIGINT,
    ported_at            BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX port_outs_by_project ON port_outs (project_id, id);
CREATE INDEX port_outs_by_subscription ON port_outs (project_id, subscription_id, id);
CREATE INDEX port_outs_by_number ON port_outs (project_id, phone_number, status);

-- The consent settings of a project: which actions wait for the user's
-- consent and how the request reaches them (JSON, null: no consent).
ALTER TABLE projects ADD COLUMN consent TEXT;

-- A request for the user's consent to an action on a subject (the
-- port-out). token_hash is the SHA-256 of the token sent to the user;
-- the token itself is never stored.
CREATE TABLE consent_requests (
    id          {{id}} PRIMARY KEY,
    project_id  {{id}} NOT NULL REFERENCES projects (id),
    user_id     {{id}} NOT NULL REFERENCES users (id),
    action      TEXT NOT NULL CHECK (action IN ('portOut')),
    subject     {{id}} NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'canceled')),
    token_hash  TEXT NOT NULL UNIQUE,
    delivery    TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    decided_at  BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX consent_requests_by_project ON consent_requests (project_id, id);
CREATE INDEX consent_requests_by_subject ON consent_requests (project_id, subject);

-- What the built-in carrier simulator must remember across a restart of
-- `serve` (its portings and the port-out credentials it issued): the
-- carrier's own storage, outside every project's snapshot. state is the
-- simulator's JSON; it holds no PIN, only a PIN's SHA-256.
CREATE TABLE simulator_state (
    provider   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    skey       TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (provider, kind, skey)
);

-- +goose Down
DROP TABLE simulator_state;
DROP TABLE consent_requests;
ALTER TABLE projects DROP COLUMN consent;
DROP TABLE port_outs;
