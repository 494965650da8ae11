-- Visitors on the site (O25): every page with the snippet holds a live channel, and the node
-- holding it keeps the visitor's last_seen_at fresh; the visit, its pages and the channel the
-- snippet names are kept for the console's live list and the visitor's profile.
ALTER TABLE visitors ADD COLUMN visit_started_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN pages_viewed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN channel_id TEXT REFERENCES channels (id) ON DELETE SET NULL;
CREATE INDEX visitors_by_visit ON visitors (visit_started_at);

-- The page trail, newest kept (the server trims it).
CREATE TABLE visitor_pages (
    visitor_id TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    title      TEXT,
    at         INTEGER NOT NULL
);
CREATE INDEX visitor_pages_by_visitor ON visitor_pages (visitor_id, at);

-- Proactive invitations. One open (sent or seen) per visitor, held by the index: a new one
-- closes the one before in the same transaction. Expiry is read from expires_at.
CREATE TABLE invitations (
    id            TEXT PRIMARY KEY NOT NULL,
    visitor_id    TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    operator_id   TEXT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    operator_name TEXT NOT NULL,
    message       TEXT NOT NULL,
    status        TEXT NOT NULL
        CHECK (status IN ('sent', 'seen', 'accepted', 'declined', 'expired')),
    sent_at       INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    chat_id       TEXT
);
CREATE INDEX invitations_by_visitor ON invitations (visitor_id, sent_at);
CREATE UNIQUE INDEX invitations_one_open ON invitations (visitor_id)
    WHERE status IN ('sent', 'seen');
