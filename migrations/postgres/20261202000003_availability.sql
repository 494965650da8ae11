-- An operator may set themself Unavailable (O16): online, but offered no chats and shown red.
ALTER TABLE operators ADD COLUMN unavailable BOOLEAN NOT NULL DEFAULT FALSE;
