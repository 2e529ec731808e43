-- +goose Up
-- Stored idempotent responses are purged by age.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- +goose Down
DROP INDEX idempotency_keys_by_age;
