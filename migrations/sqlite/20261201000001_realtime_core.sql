-- The real-time core: who each event reaches, and the invariants the schema now holds for any
-- number of writers.

-- The operators in the chat just before or just after the event, comma-separated: with the
-- visibility, the event's reach (domain::reach). Events recorded before this column existed
-- reach everyone who has ever been in their chat.
ALTER TABLE events ADD COLUMN members TEXT NOT NULL DEFAULT '';
UPDATE events SET members = COALESCE(
    (SELECT group_concat(p.operator_id, ',') FROM participants p WHERE p.chat_id = events.chat_id),
    '');

-- A visitor's replay reads only their own visible events.
CREATE INDEX events_visible_by_chat ON events (chat_id, id) WHERE visibility = 'everyone';

-- One open chat per visitor: `visitor_open` mirrors domain's `open_for_visitor` and a unique
-- partial index refuses a second one, whichever process writes it.
ALTER TABLE chats ADD COLUMN visitor_open INTEGER NOT NULL DEFAULT 0;
UPDATE chats SET visitor_open = 1
WHERE visitor_id IS NOT NULL
  AND status IN ('waiting', 'active')
  AND json_extract(state, '$.visitor_present') = 1
  AND rowid = (SELECT c2.rowid FROM chats c2
               WHERE c2.visitor_id = chats.visitor_id
                 AND c2.status IN ('waiting', 'active')
                 AND json_extract(c2.state, '$.visitor_present') = 1
               ORDER BY c2.created_at DESC, c2.rowid DESC LIMIT 1);
CREATE UNIQUE INDEX chats_one_open_per_visitor ON chats (visitor_id) WHERE visitor_open = 1;

-- Counting an operator's open chats for the per-operator limit.
CREATE INDEX participants_present_by_operator ON participants (operator_id) WHERE present = 1;
