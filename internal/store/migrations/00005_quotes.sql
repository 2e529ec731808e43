-- +goose Up
-- Quotes (docs/billing.md §7, §9): a stored price preview for a new
-- subscription. Money is BIGINT minor units; line items and fees are JSON
-- documents read only with their quote.
CREATE TABLE quotes (
    id                   {{id}} PRIMARY KEY,
    project_id           {{id}} NOT NULL REFERENCES projects (id),
    user_id              {{id}} NOT NULL,
    plan_id              {{id}} NOT NULL,
    address_id           {{id}},
    reason               TEXT NOT NULL,
    currency             TEXT NOT NULL,
    subtotal             BIGINT NOT NULL,
    discount             BIGINT NOT NULL,
    tax                  BIGINT NOT NULL,
    fees_total           BIGINT NOT NULL,
    total                BIGINT NOT NULL,
    tax_exemption_reason TEXT,
    line_items           TEXT NOT NULL,
    fees                 TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    expired_at           BIGINT NOT NULL,
    CHECK (total = subtotal - discount + tax + fees_total)
);
CREATE INDEX quotes_by_project ON quotes (project_id, id);

-- +goose Down
DROP TABLE quotes;
