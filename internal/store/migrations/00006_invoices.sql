-- +goose Up
-- Invoices (docs/billing.md §2, §9). Money is BIGINT minor units; line
-- items (with their taxes) and fees are JSON documents, immutable once the
-- invoice is finalized and only ever read with it.
CREATE TABLE invoices (
    id                   {{id}} PRIMARY KEY,
    project_id           {{id}} NOT NULL REFERENCES projects (id),
    user_id              {{id}} NOT NULL,
    subscription_id      {{id}} NOT NULL,
    reason               TEXT NOT NULL CHECK (reason IN ('subscriptionCreation', 'subscriptionRenewal', 'subscriptionRestore', 'other')),
    status               TEXT NOT NULL CHECK (status IN ('draft', 'finalized', 'paid', 'voided')),
    currency             TEXT NOT NULL,
    -- NULL start/end: the creation invoice, whose period has not started.
    period_number        INTEGER NOT NULL,
    period_start         BIGINT,
    period_end           BIGINT,
    address_id           {{id}},
    tax_country          TEXT,
    tax_region           TEXT,
    subtotal             BIGINT NOT NULL,
    discount             BIGINT NOT NULL,
    tax                  BIGINT NOT NULL,
    fees_total           BIGINT NOT NULL,
    total                BIGINT NOT NULL,
    applied_balance      BIGINT NOT NULL DEFAULT 0,
    tax_exemption_reason TEXT,
    line_items           TEXT NOT NULL,
    fees                 TEXT NOT NULL,
    due_at               BIGINT,
    overdue_at           BIGINT,
    warned_at            BIGINT,
    overdue_since        BIGINT,
    finalized_at         BIGINT,
    paid_at              BIGINT,
    voided_at            BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    CHECK (total = subtotal - discount + tax + fees_total AND applied_balance BETWEEN 0 AND total)
);
-- No period is invoiced twice: at most one live invoice per subscription
-- period, so a second creation invoice (period 1) is impossible.
CREATE UNIQUE INDEX invoices_one_per_period ON invoices (subscription_id, period_number) WHERE status <> 'voided';
CREATE INDEX invoices_by_project ON invoices (project_id, id);
CREATE INDEX invoices_by_subscription ON invoices (project_id, subscription_id, id);
CREATE INDEX invoices_by_user ON invoices (project_id, user_id, id);
CREATE INDEX invoices_by_status ON invoices (project_id, status, id);

-- +goose Down
DROP TABLE invoices;
