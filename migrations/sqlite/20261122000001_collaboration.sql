-- Operator collaboration: chats keep the domain's folded state (members with roles, offers,
-- hold, kick) as JSON; a chat may be private between operators (no visitor); every event
-- records who may see it; visitors carry what the console's sidebar shows.
--
-- The chats table is rebuilt (SQLite cannot drop NOT NULL in place); migrations run on a
-- connection with foreign keys off, and the store checks every key once they are done.

CREATE TABLE chats_new (
    id          TEXT PRIMARY KEY NOT NULL,
    -- NULL for a private chat between operators.
    visitor_id  TEXT REFERENCES visitors (id),
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'vacant', 'closed')),
    -- `domain::ChatState` as JSON: the one copy of members, roles, offers, hold and kick.
    state       TEXT NOT NULL,
    -- Bumped by every command; a command decided on an older version is decided again.
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

INSERT INTO chats_new (id, visitor_id, status, state, version, created_at, updated_at)
SELECT c.id, c.visitor_id, c.status,
       json_object(
           'id', c.id,
           'visitor', c.visitor_id,
           'visitor_name', c.visitor_name,
           'status', c.status,
           'members', json(COALESCE((
               SELECT json_group_array(json_object(
                   'id', m.operator_id,
                   'name', CASE WHEN trim(m.chat_name) = '' THEN m.name ELSE m.chat_name END,
                   'role', 'participant'))
               FROM (SELECT p.operator_id, o.name, o.chat_name FROM participants p
                     JOIN operators o ON o.id = p.operator_id
                     WHERE p.chat_id = c.id ORDER BY p.joined_at, p.rowid) m), '[]')),
           'offers', json('[]'),
           'visitor_present', json(CASE WHEN c.visitor_present THEN 'true' ELSE 'false' END),
           'on_hold', json('false'),
           'visitor_kicked', json('false')),
       c.version, c.created_at, c.updated_at
FROM chats c;

DROP TABLE chats;
ALTER TABLE chats_new RENAME TO chats;
CREATE INDEX chats_by_visitor ON chats (visitor_id, created_at);
CREATE INDEX chats_open ON chats (status) WHERE status <> 'closed';

-- A row per operator who has been in the chat; `present` while they still are.
ALTER TABLE participants ADD COLUMN role TEXT NOT NULL DEFAULT 'participant'
    CHECK (role IN ('participant', 'observer', 'watcher'));
ALTER TABLE participants ADD COLUMN present INTEGER NOT NULL DEFAULT 1;
-- Which of the chat's events alert this operator: off, visitor, all.
ALTER TABLE participants ADD COLUMN monitoring TEXT NOT NULL DEFAULT 'visitor'
    CHECK (monitoring IN ('off', 'visitor', 'all'));

-- Who may see the event: 'everyone', 'operators', or one operator's id.
ALTER TABLE events ADD COLUMN visibility TEXT NOT NULL DEFAULT 'everyone';

ALTER TABLE visitors ADD COLUMN user_agent TEXT;
ALTER TABLE visitors ADD COLUMN page_title TEXT;
ALTER TABLE visitors ADD COLUMN last_seen_at INTEGER;
UPDATE visitors SET last_seen_at = created_at;
