-- +goose Up
-- Billed subscriptions and delinquency (docs/billing.md §1, §3, §9).
-- Whether a subscription is billed is fixed when it is created; the two
-- delinquency overrides are NULL when the project's settings apply.
ALTER TABLE subscriptions ADD COLUMN billed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE subscriptions ADD COLUMN billing_overdue_days INTEGER;
ALTER TABLE subscriptions ADD COLUMN billing_overdue_action TEXT;
-- Turning Billing off is refused while a billed subscription runs.
CREATE INDEX subscriptions_billed_running ON subscriptions (project_id, status) WHERE billed;
-- Scheduled work asks once per batch whether any user holds a balance.
CREATE INDEX user_balances_held ON user_balances (project_id) WHERE amount > 0;
-- The renewal checks read a subscription's invoices through the partial
-- unique index invoices_one_per_period (their WHERE says status <> 'voided').

-- +goose Down
DROP INDEX user_balances_held;
DROP INDEX subscriptions_billed_running;
ALTER TABLE subscriptions DROP COLUMN billing_overdue_action;
ALTER TABLE subscriptions DROP COLUMN billing_overdue_days;
ALTER TABLE subscriptions DROP COLUMN billed;
