-- Messages left while live chat was not offered (V11): open until an operator closes them.
CREATE TABLE follow_ups (
    id TEXT PRIMARY KEY NOT NULL,
    visitor_id TEXT REFERENCES visitors (id) ON DELETE SET NULL,
    channel_id TEXT,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    message TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    closed_at INTEGER,
    closed_by TEXT
);
CREATE INDEX follow_ups_open ON follow_ups (closed_at, created_at);
