-- +goose Up
-- Payments (docs/payments.md): a project's payment provider, its users'
-- payment methods, the payment that collects each invoice and its refunds.
-- Money is BIGINT minor units.

-- The provider a project collects with. The Stripe secrets are stored for
-- the calls and never returned by the API, logged or put in events.
CREATE TABLE payment_settings (
    project_id     {{id}} PRIMARY KEY REFERENCES projects (id),
    provider       TEXT NOT NULL CHECK (provider IN ('simulator', 'stripe')),
    secret_key     TEXT,
    webhook_secret TEXT,
    api_base       TEXT,
    -- Days after the first failed attempt at which a payment is tried
    -- again (JSON array, increasing).
    retry_days     TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- A user's customer record at the provider, made once.
CREATE TABLE payment_customers (
    project_id {{id}} NOT NULL REFERENCES projects (id),
    user_id    {{id}} NOT NULL,
    provider   TEXT NOT NULL,
    ref        TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id, provider)
);

CREATE TABLE payment_methods (
    id            {{id}} PRIMARY KEY,
    project_id    {{id}} NOT NULL REFERENCES projects (id),
    user_id       {{id}} NOT NULL,
    provider      TEXT NOT NULL,
    ref           TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('card', 'applePay', 'googlePay')),
    brand         TEXT,
    last4         TEXT,
    status        TEXT NOT NULL CHECK (status IN ('available', 'requiresConfirmation')),
    client_secret TEXT,
    is_default    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    detached_at   BIGINT
);
CREATE INDEX payment_methods_by_user ON payment_methods (project_id, user_id, id) WHERE detached_at IS NULL;
CREATE INDEX payment_methods_by_project ON payment_methods (project_id, id) WHERE detached_at IS NULL;
-- One default method per user.
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (project_id, user_id) WHERE is_default AND detached_at IS NULL;

-- The payment collecting one invoice: its latest attempt, its failures,
-- refunds and dispute.
CREATE TABLE payments (
    id                {{id}} PRIMARY KEY,
    project_id        {{id}} NOT NULL REFERENCES projects (id),
    invoice_id        {{id}} NOT NULL UNIQUE REFERENCES invoices (id),
    user_id           {{id}} NOT NULL,
    reason            TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'succeeded', 'canceled')),
    currency          TEXT NOT NULL,
    amount            BIGINT NOT NULL CHECK (amount > 0),
    discount          BIGINT NOT NULL,
    method_id         {{id}},
    charge_ref        TEXT,
    failed_attempts   INTEGER NOT NULL DEFAULT 0,
    failure_code      TEXT,
    failure_message   TEXT,
    first_failed_at   BIGINT,
    attempted_at      BIGINT,
    refunded          BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    dispute_status    TEXT CHECK (dispute_status IN ('open', 'lost', 'won')),
    dispute_closed_at BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX payments_by_project ON payments (project_id, id);
CREATE INDEX payments_by_user ON payments (project_id, user_id, id);
CREATE INDEX payments_by_status ON payments (project_id, status, id);
-- Stripe webhooks name the charge.
CREATE INDEX payments_by_charge ON payments (project_id, charge_ref);

-- Every refund of a payment and the credit note that records it.
CREATE TABLE payment_refunds (
    id             {{id}} PRIMARY KEY,
    project_id     {{id}} NOT NULL REFERENCES projects (id),
    payment_id     {{id}} NOT NULL REFERENCES payments (id),
    amount         BIGINT NOT NULL CHECK (amount > 0),
    credit_note_id {{id}} NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    created_at     BIGINT NOT NULL
);
CREATE INDEX payment_refunds_by_payment ON payment_refunds (payment_id, id);

ALTER TABLE invoices ADD COLUMN payment_id {{id}};

-- The simulator's own books: what a payment provider keeps on its side.
-- A charge or refund is recorded once per idempotency key, so the number
-- of rows per key is the number of times money moved for it.
CREATE TABLE payment_simulator_charges (
    idempotency_key TEXT PRIMARY KEY,
    project_id      {{id}} NOT NULL,
    method_ref      TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('succeeded', 'declined')),
    decline_code    TEXT,
    -- How many calls came with this key: more than one when cellgate
    -- repeated a call whose answer it did not get.
    calls           INTEGER NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL
);
CREATE INDEX payment_simulator_charges_by_method ON payment_simulator_charges (method_ref);
CREATE TABLE payment_simulator_refunds (
    idempotency_key TEXT PRIMARY KEY,
    project_id      {{id}} NOT NULL,
    charge_key      TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);

-- Vouchers (docs/payments.md): a discount, its codes and the
-- subscriptions that redeemed it.
CREATE TABLE vouchers (
    id                  {{id}} PRIMARY KEY,
    project_id          {{id}} NOT NULL REFERENCES projects (id),
    name                TEXT NOT NULL,
    discount_amount     BIGINT,
    discount_currency   TEXT,
    discount_percentage INTEGER CHECK (discount_percentage BETWEEN 1 AND 100),
    recurrence_type     TEXT NOT NULL CHECK (recurrence_type IN ('once', 'repeating', 'forever')),
    duration_months     INTEGER,
    expires_at          BIGINT,
    max_redemptions     INTEGER,
    plans               TEXT NOT NULL,
    redemptions         INTEGER NOT NULL DEFAULT 0,
    status              TEXT NOT NULL CHECK (status IN ('available', 'retired')),
    retired_reason      TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK ((discount_amount IS NULL) <> (discount_percentage IS NULL)),
    CHECK (max_redemptions IS NULL OR redemptions <= max_redemptions)
);
CREATE INDEX vouchers_by_project ON vouchers (project_id, id);
CREATE TABLE voucher_codes (
    id         {{id}} PRIMARY KEY,
    project_id {{id}} NOT NULL REFERENCES projects (id),
    voucher_id {{id}} NOT NULL REFERENCES vouchers (id),
    code       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX voucher_codes_unique ON voucher_codes (project_id, code);
CREATE INDEX voucher_codes_by_voucher ON voucher_codes (voucher_id, id);
-- One voucher per subscription, redeemed when it was created.
CREATE TABLE voucher_redemptions (
    subscription_id {{id}} PRIMARY KEY,
    project_id      {{id}} NOT NULL REFERENCES projects (id),
    voucher_id      {{id}} NOT NULL REFERENCES vouchers (id),
    created_at      BIGINT NOT NULL
);
CREATE INDEX voucher_redemptions_by_project ON voucher_redemptions (project_id);
ALTER TABLE quotes ADD COLUMN voucher_id {{id}};

-- +goose Down
ALTER TABLE quotes DROP COLUMN voucher_id;
DROP TABLE voucher_redemptions;
DROP TABLE voucher_codes;
DROP TABLE vouchers;
DROP TABLE payment_simulator_refunds;
DROP TABLE payment_simulator_charges;
ALTER TABLE invoices DROP COLUMN payment_id;
DROP TABLE payment_refunds;
DROP TABLE payments;
DROP TABLE payment_methods;
DROP TABLE payment_customers;
DROP TABLE payment_settings;
