-- Seen marks (V5): how far the visitor has seen their chat, so that operators see "Seen" under
-- their messages after a reload too. The operators' side is their read markers
-- (participants.read_up_to).
ALTER TABLE chats ADD COLUMN visitor_seen_up_to INTEGER NOT NULL DEFAULT 0;
