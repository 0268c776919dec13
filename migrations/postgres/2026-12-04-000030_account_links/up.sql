-- Links mailed to prove a mailbox for an account change: a password reset
-- (purpose 'password_reset', 1 hour) or a new e-mail address (purpose
-- 'email_change', new_email set, 24 hours). Only the token's SHA-256 is
-- stored; used_at makes each link work once (a conditional UPDATE).
CREATE TABLE account_links (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    new_email TEXT,
    new_email_key TEXT,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX account_links_token_hash ON account_links (token_hash);
CREATE INDEX account_links_user ON account_links (user_id, purpose);
