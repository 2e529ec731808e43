-- +goose Up
-- Optional TOTP for console operators (docs/console.md): the shared secret
-- (base32, as authenticator apps take it) and the last time step a code
-- was accepted for, so a code works once.
ALTER TABLE operators ADD COLUMN totp_secret TEXT;
ALTER TABLE operators ADD COLUMN totp_last_step BIGINT;

-- +goose Down
ALTER TABLE operators DROP COLUMN totp_last_step;
ALTER TABLE operators DROP COLUMN totp_secret;
