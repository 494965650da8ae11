-- Personal access tokens (P4): scripts and integrations act as their operator through the
-- operator API. Only the SHA-256 of the secret is kept; revoking deletes the row.
CREATE TABLE access_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    operator_id  TEXT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX access_tokens_by_operator ON access_tokens (operator_id);

-- The operator API lists the visitors seen lately.
CREATE INDEX visitors_by_last_seen ON visitors (last_seen_at);
