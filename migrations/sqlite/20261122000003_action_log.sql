-- The action log: every operator action on a chat or on admin data, with where it came from.
CREATE TABLE action_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    operator_id   TEXT NOT NULL REFERENCES operators (id),
    operator_name TEXT NOT NULL,
    action        TEXT NOT NULL,
    chat_id       TEXT,
    object        TEXT,
    ip            TEXT
);
CREATE INDEX action_log_by_operator ON action_log (operator_id, id);
CREATE INDEX action_log_by_chat ON action_log (chat_id, id) WHERE chat_id IS NOT NULL;
CREATE INDEX action_log_by_time ON action_log (at);
