-- History search (O28): the words of every message in an FTS5 index, kept by the database
-- itself (a trigger on the event log), so whichever process writes a message, it is found.
-- unicode61 folds case and, with remove_diacritics 2, accents: "cafe" finds "Café".
CREATE VIRTUAL TABLE message_search USING fts5 (
    body,
    chat_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO message_search (rowid, body, chat_id)
SELECT id, json_extract(payload, '$.body'), chat_id FROM events WHERE kind = 'message_posted';

CREATE TRIGGER events_into_search AFTER INSERT ON events WHEN NEW.kind = 'message_posted'
BEGIN
    INSERT INTO message_search (rowid, body, chat_id)
    VALUES (NEW.id, json_extract(NEW.payload, '$.body'), NEW.chat_id);
END;

CREATE TRIGGER events_out_of_search AFTER DELETE ON events WHEN OLD.kind = 'message_posted'
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.id;
END;

-- Listing history newest first.
CREATE INDEX chats_by_start ON chats (created_at);
