-- Operator profiles and canned messages. Profiles: the languages an operator chats in (comma-separated tags, for routing)
-- and the name used in invitation texts (empty: the chat name).
ALTER TABLE operators ADD COLUMN languages TEXT NOT NULL DEFAULT '';
ALTER TABLE operators ADD COLUMN invitation_name TEXT NOT NULL DEFAULT '';

-- Canned messages: shared (owner_id NULL, kept by supervisors and admins) or an operator's own.
CREATE TABLE canned_messages (
    id          TEXT PRIMARY KEY NOT NULL,
    owner_id    TEXT REFERENCES operators (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    shortcut    TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- One shortcut per owner, and one among the shared ones.
CREATE UNIQUE INDEX canned_shortcut ON canned_messages (COALESCE(owner_id, ''), shortcut);
