-- +goose Up
-- How far behind a usage feed is (docs/usage.md, "Feed lag"): caught_up_at
-- is the last time, on the project's clock, a poll read the feed to its end
-- (a batch shorter than the limit), or when the feed was first watched.
ALTER TABLE usage_feeds ADD COLUMN caught_up_at BIGINT;
UPDATE usage_feeds SET caught_up_at = polled_at;

-- The day aggregates and period balances, rebuilt so that SQLite keeps
-- each in its primary key's B-tree alone: GET .../usage reads a line's
-- days without a lookup per row, and the ingest writes one B-tree, not a
-- table and its key's index. PostgreSQL gets the same tables back.
CREATE TABLE usage_days_v2 (
    subscription_id {{id}} NOT NULL REFERENCES subscriptions (id),
    day             BIGINT NOT NULL,
    country         {{text_c}} NOT NULL,
    roaming         {{text_c}} NOT NULL,
    data_bytes      BIGINT NOT NULL,
    voice_seconds   BIGINT NOT NULL,
    sms_messages    BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, day, country, roaming)
) {{without_rowid}};
INSERT INTO usage_days_v2 (subscription_id, day, country, roaming, data_bytes, voice_seconds, sms_messages, updated_at)
    SELECT subscription_id, day, country, roaming, data_bytes, voice_seconds, sms_messages, updated_at FROM usage_days;
DROP TABLE usage_days;
ALTER TABLE usage_days_v2 RENAME TO usage_days;

CREATE TABLE usage_periods_v2 (
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
    throttled_at    BIGINT,
    lifted_at       BIGINT,
    PRIMARY KEY (subscription_id, period_number)
) {{without_rowid}};
INSERT INTO usage_periods_v2 (subscription_id, period_number, usable_from, usable_until, data_bytes, voice_seconds, sms_messages,
    data_notified, voice_notified, sms_notified, throttled_at, lifted_at)
    SELECT subscription_id, period_number, usable_from, usable_until, data_bytes, voice_seconds, sms_messages,
    data_notified, voice_notified, sms_notified, throttled_at, lifted_at FROM usage_periods;
DROP TABLE usage_periods;
ALTER TABLE usage_periods_v2 RENAME TO usage_periods;
CREATE INDEX usage_periods_throttled ON usage_periods (subscription_id) WHERE throttled_at IS NOT NULL AND lifted_at IS NULL;

-- +goose Down
ALTER TABLE usage_feeds DROP COLUMN caught_up_at;
