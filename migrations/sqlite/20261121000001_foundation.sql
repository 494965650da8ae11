-- Operators, their sessions, visitors, chats, participants and the event log.
-- Times are UTC milliseconds since the epoch; ids exposed in URLs are UUID v7 text.

CREATE TABLE operators (
    id                   TEXT PRIMARY KEY NOT NULL,
    email                TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name                 TEXT NOT NULL,
    chat_name            TEXT NOT NULL DEFAULT '',
    role                 TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL
);

-- Only the SHA-256 of a session token is kept, so a leaked database opens no session.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    operator_id  TEXT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_operator ON sessions (operator_id);

CREATE TABLE visitors (
    id          TEXT PRIMARY KEY NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    name        TEXT,
    email       TEXT,
    language    TEXT,
    page_url    TEXT,
    referrer    TEXT,
    fields      TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL
);

CREATE TABLE chats (
    id              TEXT PRIMARY KEY NOT NULL,
    visitor_id      TEXT NOT NULL REFERENCES visitors (id),
    visitor_name    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'vacant', 'closed')),
    visitor_present INTEGER NOT NULL,
    -- Bumped by every command; a command decided on an older version is retried.
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX chats_by_visitor ON chats (visitor_id, created_at);
CREATE INDEX chats_open ON chats (status) WHERE status <> 'closed';

CREATE TABLE participants (
    chat_id            TEXT NOT NULL REFERENCES chats (id),
    operator_id        TEXT NOT NULL REFERENCES operators (id),
    joined_at          INTEGER NOT NULL,
    read_up_to         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, operator_id)
);
CREATE INDEX participants_by_operator ON participants (operator_id);

-- The event log. AUTOINCREMENT keeps ids strictly increasing and never reused.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    TEXT NOT NULL REFERENCES chats (id),
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    -- For messages: who sent it and their idempotency key; a retry finds the first result.
    author_key TEXT,
    client_id  TEXT
);
CREATE INDEX events_by_chat ON events (chat_id, id);
CREATE UNIQUE INDEX events_idempotency ON events (chat_id, author_key, client_id)
    WHERE client_id IS NOT NULL;
