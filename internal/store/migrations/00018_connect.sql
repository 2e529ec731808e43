-- +goose Up
-- Connect (docs/connect.md): sessions for the hosted end-user pages. The
-- link's single-use token is stored only as its SHA-256 hash; the url
-- that carries it is shown once, in the create response.
CREATE TABLE connect_sessions (
    id              {{id}} PRIMARY KEY,
    project_id      {{id}} NOT NULL REFERENCES projects (id),
    user_id         TEXT,
    -- JSON of userDetails, or NULL: the user created when a checkout
    -- completes, or the address a one-time code is sent to.
    user_details    TEXT,
    authenticated   BOOLEAN NOT NULL,
    theme           TEXT NOT NULL CHECK (theme IN ('light', 'dark')),
    callback_url    TEXT,
    intent_type     TEXT NOT NULL,
    -- JSON of the whole intent object, {type, <type>: {...}}.
    intent          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('created', 'opened', 'completed')),
    token_hash      TEXT NOT NULL UNIQUE,
    -- The one-time email code of an unauthenticated session, as a hash.
    code_email      TEXT,
    code_hash       TEXT,
    code_expires_at BIGINT,
    code_attempts   BIGINT NOT NULL DEFAULT 0,
    result          TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    opened_at       BIGINT,
    completed_at    BIGINT
);
CREATE INDEX connect_sessions_by_project ON connect_sessions (project_id, id);

-- What a redeemed link grants: a browser session (kind 'page', with the
-- CSRF token of its forms) or an embed's access token (kind 'embed').
-- Only the hash of the cookie or bearer token is stored.
CREATE TABLE connect_grants (
    token_hash  TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('page', 'embed')),
    session_id  {{id}} NOT NULL REFERENCES connect_sessions (id),
    project_id  {{id}} NOT NULL REFERENCES projects (id),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX connect_grants_by_session ON connect_grants (session_id);

-- +goose Down
DROP TABLE connect_grants;
DROP TABLE connect_sessions;
