-- +goose Up
-- A timer whose work fails runs again with backoff; every failure is
-- counted with its error, and after the last allowed attempt the timer is
-- dead: kept but never run, until an operator retries or drops it
-- (docs/time.md, "Failing timers").
ALTER TABLE timeline ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE timeline ADD COLUMN last_error TEXT;
ALTER TABLE timeline ADD COLUMN failed_at BIGINT;
ALTER TABLE timeline ADD COLUMN dead_at BIGINT;
CREATE INDEX timeline_dead ON timeline (dead_at, id) WHERE dead_at IS NOT NULL;

-- +goose Down
DROP INDEX timeline_dead;
ALTER TABLE timeline DROP COLUMN dead_at;
ALTER TABLE timeline DROP COLUMN failed_at;
ALTER TABLE timeline DROP COLUMN last_error;
ALTER TABLE timeline DROP COLUMN attempts;
