-- Mail (V10, O23) leaves through this durable outbox: queued in the request that asks for it,
-- then taken under a lease by any node, handed to the SMTP server, and retried with backoff
-- while the server is out of reach. A mail is kept with its outcome for the console's list.
CREATE TABLE mail_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    -- The chat it carries, if any (no key: the chat may be purged before the mail goes).
    chat_id         UUID,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_attempt_at BIGINT,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX mail_outbox_by_chat ON mail_outbox (chat_id, purpose) WHERE chat_id IS NOT NULL;
