-- +goose Up
-- Credit notes and the user balance ledger (docs/billing.md §6, §9). Money
-- is BIGINT minor units; credited lines (with their taxes) and fees are JSON
-- documents, immutable once issued and only ever read with their note.
CREATE TABLE credit_notes (
    id          {{id}} PRIMARY KEY,
    project_id  {{id}} NOT NULL REFERENCES projects (id),
    invoice_id  {{id}} NOT NULL REFERENCES invoices (id),
    user_id     {{id}} NOT NULL,
    credit_to   TEXT NOT NULL CHECK (credit_to IN ('outOfBand', 'userBalance')),
    status      TEXT NOT NULL CHECK (status IN ('issued', 'voided')),
    origin      TEXT NOT NULL CHECK (origin IN ('api', 'restore', 'cancel', 'end')),
    currency    TEXT NOT NULL,
    subtotal    BIGINT NOT NULL CHECK (subtotal >= 0),
    tax         BIGINT NOT NULL CHECK (tax >= 0),
    fees_total  BIGINT NOT NULL CHECK (fees_total >= 0),
    total       BIGINT NOT NULL CHECK (total = subtotal + tax + fees_total),
    line_items  TEXT NOT NULL,
    fees        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    voided_at   BIGINT
);
CREATE INDEX credit_notes_by_project ON credit_notes (project_id, id);
CREATE INDEX credit_notes_by_invoice ON credit_notes (project_id, invoice_id, id);
-- A restore credits its invoice once.
CREATE UNIQUE INDEX credit_notes_one_restore ON credit_notes (invoice_id) WHERE origin = 'restore';

-- The balance a user holds per currency; never negative (a negative
-- balance would be a debt no invoice records). Always Σ balance_entries.
CREATE TABLE user_balances (
    project_id {{id}} NOT NULL REFERENCES projects (id),
    user_id    {{id}} NOT NULL,
    currency   TEXT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount >= 0),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, currency)
);

-- Every movement of a balance, signed. The key makes each movement happen
-- once: creditNote (+), creditNoteVoid (−), invoice (− applied),
-- invoiceVoid (+ applied returned).
CREATE TABLE balance_entries (
    project_id  {{id}} NOT NULL REFERENCES projects (id),
    user_id     {{id}} NOT NULL,
    currency    TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    source_type TEXT NOT NULL CHECK (source_type IN ('creditNote', 'creditNoteVoid', 'invoice', 'invoiceVoid')),
    source_id   {{id}} NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (source_type, source_id)
);
CREATE INDEX balance_entries_by_user ON balance_entries (user_id, currency);

-- +goose Down
DROP TABLE balance_entries;
DROP TABLE user_balances;
DROP TABLE credit_notes;
