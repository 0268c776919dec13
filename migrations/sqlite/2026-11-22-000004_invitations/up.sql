-- Invitations into groups and their history. An invitation is never deleted;
-- its events say who did what and when.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    inviter_id BIGINT NOT NULL REFERENCES users (id),
    -- The invitee's account, when they have one (NULL: invited by e-mail only).
    invitee_user_id BIGINT REFERENCES users (id),
    invitee_email TEXT NOT NULL,
    -- Lower-cased address: "already invited" is decided on it.
    invitee_email_key TEXT NOT NULL,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    message TEXT,
    -- pending, accepted, declined, cancelled, expired. A pending invitation
    -- past expires_at shows as expired and is marked so when next touched.
    status TEXT NOT NULL,
    -- The link token is HMAC(server key, id + link_nonce): the server can show
    -- it again ("Copy invitation link"), the database alone cannot rebuild it.
    -- A new nonce ("Generate new invitation") makes every earlier link fail.
    link_nonce TEXT NOT NULL,
    -- SHA-256 of the current link token, to find the invitation from a link.
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    -- The last mail sent for it, to show whether it was delivered.
    last_mail_id BIGINT REFERENCES outbox (id)
);
-- One pending invitation per person and group: the "already invited" rule.
CREATE UNIQUE INDEX invitations_one_pending ON invitations (group_id, invitee_email_key) WHERE status = 'pending';
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash);
CREATE INDEX invitations_group ON invitations (group_id, id);
-- The per-group daily quota counts what a group sent since a time.
CREATE INDEX invitations_group_sent ON invitations (group_id, sent_at);
CREATE INDEX invitations_invitee ON invitations (invitee_user_id, status, id);
CREATE INDEX invitations_inviter ON invitations (inviter_id, status);
CREATE INDEX invitations_role_id ON invitations (role_id);
CREATE INDEX invitations_last_mail_id ON invitations (last_mail_id);

CREATE TABLE invitation_events (
    id INTEGER PRIMARY KEY,
    invitation_id BIGINT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    -- sent, resent, renewed, cancelled, accepted, declined, expired
    kind TEXT NOT NULL,
    -- NULL: the system (e.g. expiry).
    actor_id BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX invitation_events_invitation ON invitation_events (invitation_id, id);
-- The per-inviter daily quota counts recent events of one actor.
CREATE INDEX invitation_events_actor_id ON invitation_events (actor_id, created_at);

-- Links replaced by "Generate new invitation": kept (hashed) so an old link
-- can say it is no longer valid instead of looking like a random one.
CREATE TABLE retired_invitation_links (
    id INTEGER PRIMARY KEY,
    invitation_id BIGINT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    retired_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX retired_invitation_links_token_hash ON retired_invitation_links (token_hash);
CREATE INDEX retired_invitation_links_invitation_id ON retired_invitation_links (invitation_id);
