-- +goose Up
-- Documents a user opens without an API key (docs/payments.md): the PDF of
-- a finalized invoice and the receipt of a succeeded payment. The token is
-- 32 random bytes (base64url), the only credential of the URL; one per
-- document, made when the document comes to exist.
CREATE TABLE documents (
    token       TEXT PRIMARY KEY,
    project_id  {{id}} NOT NULL REFERENCES projects (id),
    kind        TEXT NOT NULL CHECK (kind IN ('invoice', 'receipt')),
    subject_id  {{id}} NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (kind, subject_id)
);

-- +goose Down
DROP TABLE documents;
