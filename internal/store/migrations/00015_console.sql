-- +goose Up
-- The operator console (docs/console.md): operator accounts, their role in
-- each project, browser sessions and failed logins for throttling; API
-- keys gain a shown prefix and the time of their last use.
ALTER TABLE api_keys ADD COLUMN prefix TEXT;
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
CREATE INDEX api_keys_by_project ON api_keys (project_id, id);

CREATE TABLE operators (
    id            {{id}} PRIMARY KEY,
    email         TEXT NOT NULL,
    -- Lower-cased email: one account per address, whatever its case.
    email_key     TEXT NOT NULL UNIQUE,
    -- argon2id in the PHC string format; the password is never stored.
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE operator_roles (
    operator_id {{id}} NOT NULL REFERENCES operators (id),
    project_id  {{id}} NOT NULL REFERENCES projects (id),
    role        TEXT NOT NULL CHECK (role IN ('owner', 'developer', 'support')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (operator_id, project_id)
);

CREATE TABLE operator_sessions (
    -- SHA-256 of the cookie's token, hex; the token itself is never stored.
    token_hash  TEXT PRIMARY KEY,
    operator_id {{id}} NOT NULL REFERENCES operators (id),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX operator_sessions_by_operator ON operator_sessions (operator_id);

-- One row per failed login, kept for the throttling window.
CREATE TABLE operator_login_failures (
    email_key TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX operator_login_failures_by_email ON operator_login_failures (email_key, at);

-- The console's filtered lists page on these without a scan.
CREATE INDEX subscriptions_by_status ON subscriptions (project_id, status, id);
CREATE INDEX subscriptions_by_plan_page ON subscriptions (project_id, plan_id, id);

-- +goose Down
DROP INDEX subscriptions_by_plan_page;
DROP INDEX subscriptions_by_status;
DROP TABLE operator_login_failures;
DROP TABLE operator_sessions;
DROP TABLE operator_roles;
DROP TABLE operators;
DROP INDEX api_keys_by_project;
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys DROP COLUMN prefix;
