DROP TABLE rate_limits;
CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    scope_key TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_scope ON login_attempts (scope_key, attempted_at);
