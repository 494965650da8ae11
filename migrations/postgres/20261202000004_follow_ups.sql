-- Messages left while live chat was not offered (V11): open until an operator closes them.
CREATE TABLE follow_ups (
    id UUID PRIMARY KEY,
    visitor_id UUID REFERENCES visitors (id) ON DELETE SET NULL,
    channel_id UUID,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    message TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT
);
CREATE INDEX follow_ups_open ON follow_ups (closed_at, created_at);
