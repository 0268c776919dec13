-- One row per log-in. The cookie carries the session's key; only its
-- SHA-256 hash is stored. A row whose ended_at is set no longer logs anyone
-- in, on any server (log-out, "Log out everywhere else").
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    key_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The user's session_epoch at log-in: a later epoch ends the session.
    epoch BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    user_agent TEXT NOT NULL,
    client_address TEXT NOT NULL,
    ended_at TIMESTAMP
);
CREATE UNIQUE INDEX sessions_key_hash ON sessions (key_hash);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
