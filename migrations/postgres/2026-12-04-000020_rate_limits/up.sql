-- Limits that hold however many requests arrive at once: a request takes
-- one hit of its key's window in a single conditional upsert before doing
-- the guarded work (an argon2 check, a mail), instead of counting rows,
-- working, then recording. scope_key is short and bounded (a kind and a
-- SHA-256 or an address), never what a visitor typed.
CREATE TABLE rate_limits (
    scope_key TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    hits BIGINT NOT NULL
);
-- Pruning windows that ended.
CREATE INDEX rate_limits_window ON rate_limits (window_start);

DROP TABLE login_attempts;
