-- Personal access tokens for /api/v1, made on /account/tokens. Only the
-- token's SHA-256 is kept (it is shown once); `prefix` tells tokens apart
-- in the list. A token acts as its user, within its scopes and the
-- communities chosen for it (`api_token_groups`: those and the managed
-- communities below them), until it expires or is revoked.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    -- Space-separated: invitations:read invitations:write members:read
    scopes TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
CREATE TABLE api_token_groups (
    token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (token_id, group_id)
);
CREATE INDEX api_token_groups_group ON api_token_groups (group_id);
