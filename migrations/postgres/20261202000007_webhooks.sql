-- Webhooks (P4): registered URLs, and a durable outbox of deliveries retried with backoff.
-- Chat events reach the outbox from the event log through one cursor, advanced in the same
-- transaction as the deliveries it creates; a delivery is unique per webhook and message, so
-- a scan repeated by another node adds nothing.
CREATE TABLE webhooks (
    id            UUID PRIMARY KEY,
    url           TEXT NOT NULL,
    events        TEXT NOT NULL,
    secret        TEXT NOT NULL,
    allow_private BOOLEAN NOT NULL DEFAULT FALSE,
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT,
    lease_until     BIGINT,
    last_attempt_at BIGINT,
    last_status     INTEGER,
    last_error      TEXT,
    UNIQUE (webhook_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);

CREATE TABLE webhook_cursor (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    after_event BIGINT NOT NULL
);
INSERT INTO webhook_cursor (id, after_event) SELECT 1, COALESCE(MAX(id), 0) FROM events;
