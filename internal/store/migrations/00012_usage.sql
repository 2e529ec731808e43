-- +goose Up
-- Usage (docs/usage.md): what the carriers' feeds report, aggregated per
-- line, day, country and roaming label; the per-period balances with the
-- notifications already sent; fair-use throttles; the records that name no
-- known line; traffic models of test lines.

-- When the first usage of a subscription happened (firstUsageAt).
ALTER TABLE subscriptions ADD COLUMN first_usage_at BIGINT;

-- One cursor per project and provider: a batch is applied only when the
-- poll that fetched it started from the stored cursor, in the transaction
-- that moves the cursor, so a replayed batch changes nothing.
CREATE TABLE usage_feeds (
    project_id {{id}} NOT NULL REFERENCES projects (id),
    provider   {{text_c}} NOT NULL,
    cursor     TEXT NOT NULL DEFAULT '',
    records    BIGINT NOT NULL DEFAULT 0,
    polled_at  BIGINT,
    PRIMARY KEY (project_id, provider)
);

-- day is the start of the UTC day (micros); one row per line, day,
-- country and roaming label.
CREATE TABLE usage_days (
    subscription_id {{id}} NOT NULL REFERENCES subscriptions (id),
    day             BIGINT NOT NULL,
    country         {{text_c}} NOT NULL,
    roaming         {{text_c}} NOT NULL,
    data_bytes      BIGINT NOT NULL,
    voice_seconds   BIGINT NOT NULL,
    sms_messages    BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, day, country, roaming)
);

-- What a period of a subscription used, per allowance type; notified holds
-- the thresholds already announced (bits: 1 = 70 %, 2 = 90 %, 4 = 100 %),
-- per type, so each fires at most once per balance.
CREATE TABLE usage_periods (
    subscription_id {{id}} NOT NULL REFERENCES subscriptions (id),
    period_number   INTEGER NOT NULL,
    usable_from     BIGINT NOT NULL,
    usable_until    BIGINT NOT NULL,
    data_bytes      BIGINT NOT NULL DEFAULT 0,
    voice_seconds   BIGINT NOT NULL DEFAULT 0,
    sms_messages    BIGINT NOT NULL DEFAULT 0,
    data_notified   INTEGER NOT NULL DEFAULT 0,
    voice_notified  INTEGER NOT NULL DEFAULT 0,
    sms_notified    INTEGER NOT NULL DEFAULT 0,
    -- When fair use throttled the line in this period; lifted_at when the
    -- renewal lifted it.
    throttled_at    BIGINT,
    lifted_at       BIGINT,
    PRIMARY KEY (subscription_id, period_number)
);
CREATE INDEX usage_periods_throttled ON usage_periods (subscription_id) WHERE throttled_at IS NOT NULL AND lifted_at IS NULL;

-- Feed records for no known line: kept for operators, never dropped.
CREATE TABLE usage_orphans (
    id            {{id}} PRIMARY KEY,
    project_id    {{id}} NOT NULL REFERENCES projects (id),
    provider      {{text_c}} NOT NULL,
    reason        TEXT NOT NULL,
    iccid         TEXT NOT NULL,
    record        TEXT NOT NULL,
    received_at   BIGINT NOT NULL
);
CREATE INDEX usage_orphans_by_project ON usage_orphans (project_id, id);

-- Traffic models of test lines (docs/usage.md): what the simulator makes
-- the line use every day.
CREATE TABLE usage_models (
    subscription_id {{id}} PRIMARY KEY REFERENCES subscriptions (id),
    project_id      {{id}} NOT NULL REFERENCES projects (id),
    model           TEXT NOT NULL,
    data_bytes      BIGINT NOT NULL,
    voice_seconds   BIGINT NOT NULL,
    sms_messages    BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- +goose Down
DROP TABLE usage_models;
DROP TABLE usage_orphans;
DROP TABLE usage_periods;
DROP TABLE usage_days;
DROP TABLE usage_feeds;
ALTER TABLE subscriptions DROP COLUMN first_usage_at;
