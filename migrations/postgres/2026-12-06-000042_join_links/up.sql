-- Multi-use join links: a group admin makes a link with a role, a number of
-- uses, an expiry and optionally an allowed e-mail domain. `uses` counts
-- what was spent and never goes down (deleting an account gives no use
-- back); a use is a conditional UPDATE of it, so however many people open
-- the link at once, no more than `max_uses` join.
CREATE TABLE join_links (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- The token is made from the nonce with the site's link key (shown
    -- again to admins); only its hash is looked up.
    link_nonce TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    max_uses INTEGER NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0,
    allowed_domain TEXT,
    expires_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP,
    disabled_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX join_links_token_hash ON join_links (token_hash);
CREATE INDEX join_links_group ON join_links (group_id, id);
CREATE INDEX join_links_role_id ON join_links (role_id);
CREATE INDEX join_links_created_by ON join_links (created_by);
CREATE INDEX join_links_disabled_by ON join_links (disabled_by);
-- Who used a link, once each; the row stays (user_id emptied) when the
-- account is deleted.
CREATE TABLE join_link_uses (
    id BIGSERIAL PRIMARY KEY,
    link_id BIGINT NOT NULL REFERENCES join_links (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- Who it was, as shown then (kept when the account is gone).
    who TEXT NOT NULL,
    used_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX join_link_uses_once ON join_link_uses (link_id, user_id);
CREATE INDEX join_link_uses_user_id ON join_link_uses (user_id);
