-- +goose Up
-- Subscriptions, SIMs, phone numbers and the timeline of scheduled work.

CREATE TABLE sims (
    id              {{id}} PRIMARY KEY,
    project_id      {{id}} NOT NULL REFERENCES projects (id),
    provider        TEXT NOT NULL,
    type            TEXT NOT NULL CHECK (type IN ('eSIM', 'pSIM')),
    iccid           TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL CHECK (status IN ('inactive', 'active', 'retired')),
    -- The first user whose subscription used the SIM; no one else may.
    user_id         {{id}} REFERENCES users (id),
    phone_number    TEXT,
    -- eSIM activation code (a credential: never logged, never in events)
    -- and the unguessable token of its public QR code image.
    activation_code TEXT,
    qr_token        TEXT UNIQUE,
    inactive_since  BIGINT,
    metadata        TEXT NOT NULL DEFAULT '{}',
    created_at      BIGINT NOT NULL
);
CREATE INDEX sims_by_project ON sims (project_id, id);

-- The pool of numbers each provider hands out. A number is free when
-- sim_id is NULL; it stays with its SIM until the SIM retires.
CREATE TABLE phone_numbers (
    number     TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    sim_id     {{id}} UNIQUE REFERENCES sims (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX phone_numbers_free ON phone_numbers (provider, sim_id);

-- Counter for minting new numbers per provider.
CREATE TABLE number_sequences (
    provider TEXT PRIMARY KEY,
    next     BIGINT NOT NULL
);

ALTER TABLE subscriptions ADD COLUMN sim_id {{id}} REFERENCES sims (id);
ALTER TABLE subscriptions ADD COLUMN user_address_id {{id}};
ALTER TABLE subscriptions ADD COLUMN phone_number TEXT;
ALTER TABLE subscriptions ADD COLUMN activated_at BIGINT;
-- Periods are measured from the anchor: period anchor_period starts at
-- anchor_at, and later boundaries follow clock.PeriodBoundary.
ALTER TABLE subscriptions ADD COLUMN anchor_at BIGINT;
ALTER TABLE subscriptions ADD COLUMN anchor_period INTEGER;
ALTER TABLE subscriptions ADD COLUMN period_number INTEGER;
ALTER TABLE subscriptions ADD COLUMN period_start BIGINT;
ALTER TABLE subscriptions ADD COLUMN period_end BIGINT;
ALTER TABLE subscriptions ADD COLUMN canceled_at BIGINT;
-- The future end of a canceled subscription, or the past end of an ended one.
ALTER TABLE subscriptions ADD COLUMN ended_at BIGINT;
ALTER TABLE subscriptions ADD COLUMN cancellation TEXT;
ALTER TABLE subscriptions ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE subscriptions ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX subscriptions_by_project ON subscriptions (project_id, id);
CREATE INDEX subscriptions_by_user ON subscriptions (user_id, id);
CREATE INDEX subscriptions_by_sim ON subscriptions (sim_id, status);
CREATE INDEX subscriptions_by_phone ON subscriptions (project_id, phone_number);

-- Durable timers: scheduled domain work, run in due order. A timer and
-- the change it makes commit together, and the row is deleted in that
-- same transaction, so each timer runs exactly once.
CREATE TABLE timeline (
    id         {{id}} PRIMARY KEY,
    project_id {{id}} NOT NULL REFERENCES projects (id),
    due_at     BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    UNIQUE (kind, subject, due_at)
);
CREATE INDEX timeline_due ON timeline (due_at, id);
CREATE INDEX timeline_by_project ON timeline (project_id, due_at, id);
CREATE INDEX timeline_by_subject ON timeline (subject, kind);

-- +goose Down
DROP TABLE timeline;
DROP INDEX subscriptions_by_phone;
DROP INDEX subscriptions_by_sim;
DROP INDEX subscriptions_by_user;
DROP INDEX subscriptions_by_project;
ALTER TABLE subscriptions DROP COLUMN updated_at;
ALTER TABLE subscriptions DROP COLUMN metadata;
ALTER TABLE subscriptions DROP COLUMN cancellation;
ALTER TABLE subscriptions DROP COLUMN ended_at;
ALTER TABLE subscriptions DROP COLUMN canceled_at;
ALTER TABLE subscriptions DROP COLUMN period_end;
ALTER TABLE subscriptions DROP COLUMN period_start;
ALTER TABLE subscriptions DROP COLUMN period_number;
ALTER TABLE subscriptions DROP COLUMN anchor_period;
ALTER TABLE subscriptions DROP COLUMN anchor_at;
ALTER TABLE subscriptions DROP COLUMN activated_at;
ALTER TABLE subscriptions DROP COLUMN phone_number;
ALTER TABLE subscriptions DROP COLUMN user_address_id;
ALTER TABLE subscriptions DROP COLUMN sim_id;
DROP TABLE number_sequences;
DROP TABLE phone_numbers;
DROP TABLE sims;
