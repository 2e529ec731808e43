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

-- +goose Down
ALTER TABLE subscriptions DROP COLUMN porting_id;
DROP TABLE portings;
