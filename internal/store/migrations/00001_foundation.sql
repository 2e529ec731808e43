-- +goose Up
-- Timestamps are Unix microseconds (BIGINT); JSON documents are TEXT.
-- {{id}} is a byte-ordered text column (see store/migrate.go).

CREATE TABLE projects (
    id          {{id}} PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('live', 'test')),
    locales     TEXT NOT NULL DEFAULT '["en-US"]',
    support     TEXT,
    billing     TEXT,
    tax_country TEXT,
    -- The stored clock of a test project; NULL for live projects.
    clock_now   BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id          {{id}} PRIMARY KEY,
    project_id  {{id}} NOT NULL REFERENCES projects (id),
    -- SHA-256 of the key, hex; the key itself is shown once and never stored.
    secret_hash TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE idempotency_keys (
    project_id   {{id}} NOT NULL REFERENCES projects (id),
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (project_id, idem_key)
);

CREATE TABLE users (
    id               {{id}} PRIMARY KEY,
    project_id       {{id}} NOT NULL REFERENCES projects (id),
    email            TEXT NOT NULL,
    -- Lower-cased email: uniqueness and search ignore case.
    email_key        TEXT NOT NULL,
    email_verified   BOOLEAN NOT NULL DEFAULT FALSE,
    full_name        TEXT,
    birthday         TEXT,
    preferred_locale TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('active', 'blocked', 'deleted')),
    metadata         TEXT NOT NULL DEFAULT '{}',
    created_at       BIGINT NOT NULL,
    deleted_at       BIGINT
);
CREATE INDEX users_by_project ON users (project_id, id);
CREATE UNIQUE INDEX users_email_unique ON users (project_id, email_key) WHERE status <> 'deleted';

CREATE TABLE user_addresses (
    id          {{id}} PRIMARY KEY,
    project_id  {{id}} NOT NULL REFERENCES projects (id),
    user_id     {{id}} NOT NULL REFERENCES users (id),
    line1       TEXT NOT NULL,
    line2       TEXT,
    city        TEXT NOT NULL,
    state       TEXT,
    postal_code TEXT,
    country     TEXT NOT NULL,
    -- Normalised address text: a user cannot hold the same address twice.
    address_key TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX user_addresses_by_user ON user_addresses (user_id, id);
CREATE UNIQUE INDEX user_addresses_unique ON user_addresses (user_id, address_key) WHERE deleted_at IS NULL;

CREATE TABLE plans (
    id             {{id}} PRIMARY KEY,
    project_id     {{id}} NOT NULL REFERENCES projects (id),
    name           TEXT NOT NULL,
    description    TEXT,
    image          TEXT,
    provider       TEXT NOT NULL,
    sim_esim       BOOLEAN NOT NULL,
    sim_psim       BOOLEAN NOT NULL,
    price_amount   BIGINT NOT NULL CHECK (price_amount >= 0),
    price_currency TEXT NOT NULL,
    allowances     TEXT NOT NULL,
    limits         TEXT,
    requirements   TEXT NOT NULL,
    validity       TEXT NOT NULL,
    coverage       TEXT,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'available', 'archived')),
    metadata       TEXT NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX plans_by_project ON plans (project_id, id);

-- Subscriptions get their full shape with the lifecycle; the catalog needs
-- to know already whether a plan is in use.
CREATE TABLE subscriptions (
    id         {{id}} PRIMARY KEY,
    project_id {{id}} NOT NULL REFERENCES projects (id),
    plan_id    {{id}} NOT NULL REFERENCES plans (id),
    user_id    {{id}} NOT NULL REFERENCES users (id),
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_by_plan ON subscriptions (plan_id, status);

CREATE TABLE events (
    id            {{id}} PRIMARY KEY,
    project_id    {{id}} NOT NULL REFERENCES projects (id),
    type          TEXT NOT NULL,
    -- The id of the resource the event is about, for filtering.
    subject       TEXT NOT NULL,
    data          TEXT NOT NULL,
    previous_data TEXT,
    actor         TEXT NOT NULL,
    time          BIGINT NOT NULL
);
CREATE INDEX events_by_project ON events (project_id, id);
CREATE INDEX events_by_type ON events (project_id, type, id);
CREATE INDEX events_by_subject ON events (project_id, subject, id);

-- +goose Down
DROP TABLE events;
DROP TABLE subscriptions;
DROP TABLE plans;
DROP TABLE user_addresses;
DROP TABLE users;
DROP TABLE idempotency_keys;
DROP TABLE api_keys;
DROP TABLE projects;
