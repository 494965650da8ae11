-- Webhooks (P4): registered URLs, and a durable outbox of deliveries retried with backoff.
-- Chat events reach the outbox from the event log through one cursor, advanced in the same
-- transaction as the deliveries it creates; a delivery is unique per webhook and message, so
-- a scan repeated by another node adds nothing.
CREATE TABLE webhooks (
    id            TEXT PRIMARY KEY NOT NULL,
    url           TEXT NOT NULL,
    events        TEXT NOT NULL,
    secret        TEXT NOT NULL,
    allow_private INTEGER NOT NULL DEFAULT 0,
    enabled       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,
    lease_until     INTEGER,
    last_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    UNIQUE (webhook_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);

CREATE TABLE webhook_cursor (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    after_event INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, after_event) SELECT 1, COALESCE(MAX(id), 0) FROM events;
