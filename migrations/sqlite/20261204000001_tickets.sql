-- Tickets (O23): the follow-up list. A ticket has a status, an assignee and a channel, and a
-- thread of articles: the visitor's message, appended chats, the operators' email replies.
-- Messages left in the bubble (V11) were follow-ups; each becomes a ticket with its message as
-- the first article.
CREATE TABLE tickets (
    id          TEXT PRIMARY KEY NOT NULL,
    -- For people: "#42". One writer at a time on SQLite, so MAX + 1 in the insert is safe.
    number      INTEGER NOT NULL UNIQUE,
    subject     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'pending', 'closed')),
    assignee_id TEXT REFERENCES operators (id) ON DELETE SET NULL,
    channel_id  TEXT,
    visitor_id  TEXT REFERENCES visitors (id) ON DELETE SET NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    -- Why the bubble took a message instead of a chat; NULL for a ticket made from a chat.
    reason      TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX tickets_by_status ON tickets (status, updated_at);
CREATE INDEX tickets_by_visitor ON tickets (visitor_id);

CREATE TABLE ticket_articles (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'chat', 'reply')),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    -- The chat a 'chat' article carries (no key: the chat may be purged, the ticket stays).
    chat_id    TEXT,
    recipient  TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX ticket_articles_thread ON ticket_articles (ticket_id, id);
-- A chat is appended to a ticket once, however often the button is pressed.
CREATE UNIQUE INDEX ticket_articles_chat_once ON ticket_articles (ticket_id, chat_id)
    WHERE chat_id IS NOT NULL;

INSERT INTO tickets (id, number, subject, status, channel_id, visitor_id, name, email, reason,
                     created_at, updated_at)
SELECT id,
       ROW_NUMBER() OVER (ORDER BY created_at, id),
       CASE WHEN length(ltrim(message)) > 80 THEN substr(ltrim(message), 1, 79) || '…'
            ELSE ltrim(message) END,
       CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END,
       channel_id, visitor_id, name, email, reason, created_at,
       COALESCE(closed_at, created_at)
FROM follow_ups;
INSERT INTO ticket_articles (ticket_id, kind, author, body, created_at)
SELECT id, 'message', CASE WHEN name = '' THEN email ELSE name END, message, created_at
FROM follow_ups ORDER BY created_at, id;
DROP TABLE follow_ups;
