-- History search (O28): the words of every message as a tsvector the database computes itself
-- (a generated column), with a GIN index, so whichever node writes a message, it is found.
-- The 'simple' configuration folds case and keeps every word (no language's stemming).
ALTER TABLE events ADD COLUMN search tsvector GENERATED ALWAYS AS (
    CASE WHEN kind = 'message_posted'
         THEN to_tsvector('simple'::regconfig, COALESCE(payload::jsonb ->> 'body', ''))
    END
) STORED;
CREATE INDEX events_search ON events USING GIN (search) WHERE kind = 'message_posted';

-- Listing history newest first.
CREATE INDEX chats_by_start ON chats (created_at);
