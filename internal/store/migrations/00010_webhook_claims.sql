-- +goose Up
-- Each claim of a delivery counts here, so the worker recording an
-- attempt can tell whether the delivery was claimed again meanwhile (after
-- a retry): with whole-second times the lease alone can repeat.
ALTER TABLE webhook_deliveries ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE webhook_deliveries DROP COLUMN claims;
