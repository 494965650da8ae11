-- The whole schema for PostgreSQL, as the SQLite migrations up to 20261201000001_realtime_core
-- leave it (PostgreSQL has no older databases to upgrade). Times are UTC milliseconds since the
-- epoch; ids exposed in URLs are UUID v7; JSON documents are kept as the text the store wrote.
--
-- `seq` columns stand in for SQLite's rowid: insertion order, the tiebreak between rows created
-- in the same millisecond. They are never exposed.

CREATE TABLE operators (
    id                   UUID PRIMARY KEY,
    email                TEXT NOT NULL,
    name                 TEXT NOT NULL,
    chat_name            TEXT NOT NULL DEFAULT '',
    role                 TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           BIGINT NOT NULL,
    -- The languages they chat in (tags, for routing).
    languages            TEXT[] NOT NULL DEFAULT '{}',
    -- The name used in invitation texts; empty: the chat name.
    invitation_name      TEXT NOT NULL DEFAULT ''
);
-- Emails are unique whatever their case; lookups go through `lower(email)` too.
CREATE UNIQUE INDEX operators_email ON operators (lower(email));

-- Only the SHA-256 of a session token is kept, so a leaked database opens no session.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    operator_id  UUID NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_operator ON sessions (operator_id);

CREATE TABLE visitors (
    id           UUID PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT,
    email        TEXT,
    language     TEXT,
    page_url     TEXT,
    referrer     TEXT,
    -- Custom fields from the snippet, a JSON object.
    fields       TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL,
    user_agent   TEXT,
    page_title   TEXT,
    last_seen_at BIGINT NOT NULL
);

CREATE TABLE chats (
    id           UUID PRIMARY KEY,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,
    -- NULL for a private chat between operators.
    visitor_id   UUID REFERENCES visitors (id),
    status       TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'vacant', 'closed')),
    -- `domain::ChatState` as JSON: the one copy of members, roles, offers, hold and kick.
    state        TEXT NOT NULL,
    -- Bumped by every command; a command decided on an older version is decided again.
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    -- Mirrors domain's `open_for_visitor`; the unique partial index below refuses a second open
    -- chat for a visitor, whichever process writes it.
    visitor_open BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX chats_by_visitor ON chats (visitor_id, created_at);
CREATE INDEX chats_open ON chats (status) WHERE status <> 'closed';
CREATE UNIQUE INDEX chats_one_open_per_visitor ON chats (visitor_id) WHERE visitor_open;

-- A row per operator who has been in the chat; `present` while they still are.
CREATE TABLE participants (
    chat_id     UUID NOT NULL REFERENCES chats (id),
    operator_id UUID NOT NULL REFERENCES operators (id),
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    joined_at   BIGINT NOT NULL,
    read_up_to  BIGINT NOT NULL DEFAULT 0,
    role        TEXT NOT NULL DEFAULT 'participant'
        CHECK (role IN ('participant', 'observer', 'watcher')),
    present     BOOLEAN NOT NULL DEFAULT TRUE,
    -- Which of the chat's events alert this operator.
    monitoring  TEXT NOT NULL DEFAULT 'visitor' CHECK (monitoring IN ('off', 'visitor', 'all')),
    PRIMARY KEY (chat_id, operator_id)
);
CREATE INDEX participants_by_operator ON participants (operator_id);
-- Counting an operator's open chats for the per-operator limit.
CREATE INDEX participants_present_by_operator ON participants (operator_id) WHERE present;

-- The event log. Ids come from the identity sequence while the writer holds the store's
-- event-order advisory lock (see engine/src/store/postgres.rs), so they are in commit order.
-- That needs CACHE 1: a session caching values would hand out ids it drew before the lock.
CREATE TABLE events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
    chat_id    UUID NOT NULL REFERENCES chats (id),
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    -- `domain::EventKind` as JSON.
    payload    TEXT NOT NULL,
    -- For messages: who sent it and their idempotency key; a retry finds the first result.
    author_key TEXT,
    client_id  TEXT,
    -- Who may see the event: 'everyone', 'operators', or one operator's id.
    visibility TEXT NOT NULL DEFAULT 'everyone',
    -- The operators in the chat just before or just after the event: with the visibility, the
    -- event's reach (domain::reach).
    members    UUID[] NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_chat ON events (chat_id, id);
CREATE UNIQUE INDEX events_idempotency ON events (chat_id, author_key, client_id)
    WHERE client_id IS NOT NULL;
-- A visitor's replay reads only their own visible events.
CREATE INDEX events_visible_by_chat ON events (chat_id, id) WHERE visibility = 'everyone';

-- Canned messages: shared (owner_id NULL, kept by supervisors and admins) or an operator's own.
CREATE TABLE canned_messages (
    id          UUID PRIMARY KEY,
    owner_id    UUID REFERENCES operators (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    shortcut    TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- One shortcut per owner, and one among the shared ones (the nil UUID stands for "shared").
CREATE UNIQUE INDEX canned_shortcut ON canned_messages
    (COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), shortcut);

-- The action log: every operator action on a chat or on admin data, with where it came from.
CREATE TABLE action_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    operator_id   UUID NOT NULL REFERENCES operators (id),
    operator_name TEXT NOT NULL,
    action        TEXT NOT NULL,
    chat_id       UUID,
    object        TEXT,
    ip            TEXT
);
CREATE INDEX action_log_by_operator ON action_log (operator_id, id);
CREATE INDEX action_log_by_chat ON action_log (chat_id, id) WHERE chat_id IS NOT NULL;
CREATE INDEX action_log_by_time ON action_log (at);

-- Settings an admin changes in the console, one JSON document per key (e.g. `bubble`).
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Channels (departments): a queue of chats and the operators who serve it. A chat's channel is
-- part of its state (JSON in `chats.state`), so only channels and their operators are here.
CREATE TABLE channels (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    archived    BOOLEAN NOT NULL DEFAULT FALSE,
    -- `domain::channel::ChannelSettings` as JSON: what differs from the general settings.
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- Names are unique whatever their case, archived channels included (they may come back).
CREATE UNIQUE INDEX channels_by_name ON channels (lower(name));

CREATE TABLE channel_operators (
    channel_id  UUID NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    operator_id UUID NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, operator_id)
);
CREATE INDEX channel_operators_by_operator ON channel_operators (operator_id);
