-- Hardening (P5): when an account's password was given (the default password expires),
-- visitors barred from new chats after a kick, and failed logins for the login limits.
ALTER TABLE operators ADD COLUMN password_set_at INTEGER NOT NULL DEFAULT 0;
UPDATE operators SET password_set_at = created_at;

ALTER TABLE visitors ADD COLUMN banned_until INTEGER;
CREATE INDEX visitors_banned ON visitors (banned_until) WHERE banned_until IS NOT NULL;

CREATE TABLE login_failures (
    at    INTEGER NOT NULL,
    email TEXT NOT NULL,
    ip    TEXT NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures (email, at);
CREATE INDEX login_failures_by_ip ON login_failures (ip, at);
CREATE INDEX login_failures_by_time ON login_failures (at);
