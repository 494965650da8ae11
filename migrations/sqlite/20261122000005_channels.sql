-- Channels (departments): a queue of chats and the operators who serve it. A chat's channel is
-- part of its state (JSON in `chats.state`), so only channels and their operators are here.
CREATE TABLE channels (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0,
    -- `domain::channel::ChannelSettings` as JSON: what differs from the general settings.
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- Names are unique whatever their case, archived channels included (they may come back).
CREATE UNIQUE INDEX channels_by_name ON channels (name COLLATE NOCASE);

CREATE TABLE channel_operators (
    channel_id  TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    operator_id TEXT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, operator_id)
) WITHOUT ROWID;
CREATE INDEX channel_operators_by_operator ON channel_operators (operator_id);
