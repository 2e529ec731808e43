-- +goose Up
-- How far behind a usage feed is (docs/usage.md, "Feed lag"): caught_up_at
-- is the last time, on the project's clock, a poll read the feed to its end
-- (a batch shorter than the limit), or when the feed was first watched.
ALTER TABLE usage_feeds ADD COLUMN caught_up_at BIGINT;
UPDATE usage_feeds SET caught_up_at = polled_at;

-- +goose Down
ALTER TABLE usage_feeds DROP COLUMN caught_up_at;
