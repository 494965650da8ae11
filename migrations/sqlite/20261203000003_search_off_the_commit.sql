-- Messages reach the search index after their commit, in batches, instead of in every
-- commit's transaction (a trigger made each message's commit pay for the FTS5 update). The
-- cursor is the newest event looked at; everything up to now is indexed already. Event ids
-- grow in commit order on SQLite's one writer, so a cursor misses nothing.
DROP TRIGGER events_into_search;

CREATE TABLE search_cursor (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    after_event INTEGER NOT NULL
);
INSERT INTO search_cursor (id, after_event) SELECT 1, COALESCE(MAX(id), 0) FROM events;
