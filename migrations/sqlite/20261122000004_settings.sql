-- Settings an admin changes in the console, one JSON document per key (e.g. `bubble`).
CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
