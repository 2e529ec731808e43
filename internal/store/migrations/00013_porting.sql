-- +goose Up
-- Number porting in (docs/porting.md). A porting moves a number from a
-- donor carrier to one of cellgate's providers; the holder's details are
-- what the donor checks. account_pin is kept only while the porting may
-- still be sent to the carrier and cleared once it is finished: it is
-- never returned, logged or put in an event or an operation's payload.
CREATE TABLE portings (
    id                      {{id}} PRIMARY KEY,
    project_id              {{id}} NOT NULL REFERENCES projects (id),
    user_id                 {{id}} NOT NULL REFERENCES users (id),
    subscription_id         {{id}},
    provider                TEXT NOT NULL,
    phone_number            TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'informationRequired', 'requested',
                                'declined', 'completed', 'canceled', 'expired')),
    donor_provider          TEXT,
    donor_provider_approval BOOLEAN,
    account_number          TEXT,
    account_pin             TEXT,
    first_name              TEXT,
    last_name               TEXT,
    birthday                TEXT,
    address                 TEXT,
    declined_attempts       INTEGER NOT NULL DEFAULT 0,
    declined_code           TEXT,
    declined_message        TEXT,
    last_declined_at        BIGINT,
    last_requested_at       BIGINT,
    -- How many times it was sent to the carrier: the first send submits,
    -- later ones (after a decline) update.
    submissions             INTEGER NOT NULL DEFAULT 0,
    canceled_at             BIGINT,
    completed_at            BIGINT,
    expired_at              BIGINT,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX portings_by_project ON portings (project_id, id);
CREATE INDEX portings_by_number ON portings (project_id, phone_number, status);
CREATE INDEX portings_by_user ON portings (user_id, status);

-- The porting that brings the subscription its number.
ALTER TABLE subscriptions ADD COLUMN porting_id {{id}} REFERENCES portings (id);

-- Devices of a project's users (reference §2.7). The model is an id of
-- the catalogue shipped with cellgate (internal/devices/device_models.json).
CREATE TABLE devices (
    id         {{id}} PRIMARY KEY,
    project_id {{id}} NOT NULL REFERENCES projects (id),
    user_id    {{id}} REFERENCES users (id),
    imei       TEXT,
    model_id   TEXT,
    name       TEXT,
    metadata   TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX devices_by_project ON devices (project_id, id);
CREATE UNIQUE INDEX devices_imei ON devices (project_id, imei);
CREATE INDEX devices_by_user ON devices (user_id, id);

-- The SIMs in a device; a SIM is in one device at most.
CREATE TABLE device_sims (
    device_id {{id}} NOT NULL REFERENCES devices (id),
    sim_id    {{id}} NOT NULL UNIQUE REFERENCES sims (id),
    PRIMARY KEY (device_id, sim_id)
);

-- The email outbox (internal/email): one row per message. A live
-- project's message is sent by an outbound operation; a test project's is
-- captured (never sent) and readable at GET /testing/projects/{p}/emails.
CREATE TABLE email_messages (
    id         {{id}} PRIMARY KEY,
    project_id {{id}} NOT NULL REFERENCES projects (id),
    to_address TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'captured')),
    created_at BIGINT NOT NULL,
    sent_at    BIGINT
);
CREATE INDEX email_messages_by_project ON email_messages (project_id, id);

-- +goose Down
DROP TABLE email_messages;
DROP TABLE device_sims;
DROP TABLE devices;
ALTER TABLE subscriptions DROP COLUMN porting_id;
DROP TABLE portings;
