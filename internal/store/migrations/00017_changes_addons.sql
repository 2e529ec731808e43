-- +goose Up
-- Subscription changes, the add-on catalog and subscription add-ons
-- (docs/changes.md).

-- A plan change or SIM swap of a subscription. from_plan_id is the plan it
-- had when the change was asked for; sim_id the SIM it moves to (a new
-- eSIM for "auto"). invoice_id is the billing engine's invoice for a
-- prorated change, plain data here. carrier_at is when the carrier
-- confirmed a renewal change that waits for the period end.
CREATE TABLE subscription_changes (
    id              {{id}} PRIMARY KEY,
    project_id      {{id}} NOT NULL REFERENCES projects (id),
    subscription_id {{id}} NOT NULL REFERENCES subscriptions (id),
    plan_id         {{id}},
    from_plan_id    {{id}} NOT NULL,
    sim_id          {{id}},
    requested_sim   TEXT,
    apply_when      TEXT NOT NULL CHECK (apply_when IN ('now', 'renewal')),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'initiated', 'applied', 'failed', 'deleted')),
    scheduled_at    BIGINT,
    applied_at      BIGINT,
    failure_code    TEXT,
    invoice_id      {{id}},
    carrier_at      BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX subscription_changes_by_project ON subscription_changes (project_id, id);
CREATE INDEX subscription_changes_by_subscription ON subscription_changes (project_id, subscription_id, id);
CREATE INDEX subscription_changes_by_invoice ON subscription_changes (invoice_id) WHERE invoice_id IS NOT NULL;
-- One change at a time per subscription: the second of two concurrent
-- requests fails here even if it got past the check.
CREATE UNIQUE INDEX subscription_changes_one_open ON subscription_changes (subscription_id) WHERE status IN ('pending', 'initiated');

-- Add-ons a project sells (reference §2.11). plans is a JSON array of
-- plan ids; allowances, validity and metadata are JSON documents.
CREATE TABLE addons (
    id                 {{id}} PRIMARY KEY,
    project_id         {{id}} NOT NULL REFERENCES projects (id),
    name               TEXT NOT NULL,
    description        TEXT,
    type               TEXT NOT NULL,
    status             TEXT NOT NULL,
    price_amount       BIGINT NOT NULL,
    price_currency     TEXT NOT NULL,
    provider           TEXT NOT NULL,
    plans              TEXT NOT NULL,
    allowances         TEXT NOT NULL,
    validity           TEXT,
    recurrence_type    TEXT NOT NULL,
    activation_trigger TEXT NOT NULL,
    coverage           TEXT,
    metadata           TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX addons_by_project ON addons (project_id, id);

-- Add-ons bought for a subscription (reference §2.12). The current
-- period is the add-on's own validity window.
CREATE TABLE subscription_addons (
    id              {{id}} PRIMARY KEY,
    project_id      {{id}} NOT NULL REFERENCES projects (id),
    subscription_id {{id}} NOT NULL REFERENCES subscriptions (id),
    addon_id        {{id}} NOT NULL REFERENCES addons (id),
    user_id         {{id}} NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'initiated', 'active', 'ended')),
    period_start    BIGINT,
    period_end      BIGINT,
    activated_at    BIGINT,
    canceled_at     BIGINT,
    ended_at        BIGINT,
    invoice_id      {{id}},
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX subscription_addons_by_project ON subscription_addons (project_id, id);
CREATE INDEX subscription_addons_by_subscription ON subscription_addons (subscription_id, status);
CREATE INDEX subscription_addons_by_invoice ON subscription_addons (invoice_id) WHERE invoice_id IS NOT NULL;

-- What each subscription add-on's balances used (docs/usage.md,
-- "Consumption order"), per allowance type, with the thresholds already
-- announced, as usage_periods holds them for the plan's balances.
CREATE TABLE usage_addons (
    subscription_addon_id {{id}} PRIMARY KEY REFERENCES subscription_addons (id),
    subscription_id       {{id}} NOT NULL REFERENCES subscriptions (id),
    data_bytes            BIGINT NOT NULL DEFAULT 0,
    voice_seconds         BIGINT NOT NULL DEFAULT 0,
    sms_messages          BIGINT NOT NULL DEFAULT 0,
    data_notified         INTEGER NOT NULL DEFAULT 0,
    voice_notified        INTEGER NOT NULL DEFAULT 0,
    sms_notified          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX usage_addons_by_subscription ON usage_addons (subscription_id);

-- Invoices with reason other (an add-on, a prorated plan change) are not
-- period invoices: a subscription may have several in one period.
DROP INDEX invoices_one_per_period;
CREATE UNIQUE INDEX invoices_one_per_period ON invoices (subscription_id, period_number) WHERE status <> 'voided' AND reason <> 'other';

-- +goose Down
DROP INDEX invoices_one_per_period;
CREATE UNIQUE INDEX invoices_one_per_period ON invoices (subscription_id, period_number) WHERE status <> 'voided';
DROP TABLE usage_addons;
DROP TABLE subscription_addons;
DROP TABLE addons;
DROP TABLE subscription_changes;
