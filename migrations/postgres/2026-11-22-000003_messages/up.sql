-- Private messages: a conversation between a user and another user (or the
-- system, for which no member row exists). Each participant has a member row
-- carrying a copy of what the inbox sorts on (unread, last_message_id), so the
-- inbox page and the unread badge are each one indexed query.
CREATE TABLE conversations (
    id BIGSERIAL PRIMARY KEY,
    subject TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_message_at TIMESTAMP NOT NULL
);

CREATE TABLE conversation_members (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The other participant; NULL when the other side is the system.
    other_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    unread BOOLEAN NOT NULL,
    -- Ids grow with time, so the newest conversation has the largest id here:
    -- an exact, unique keyset for paging (timestamps may tie).
    last_message_id BIGINT NOT NULL,
    last_read_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX conversation_members_conversation_user ON conversation_members (conversation_id, user_id);
CREATE INDEX conversation_members_inbox ON conversation_members (user_id, unread, last_message_id);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- NULL: sent by the system.
    sender_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    -- Optional structured attachment, e.g. kind 'invitation' + the invitation id,
    -- so the page can offer actions next to the text.
    kind TEXT,
    ref_id BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    link_path TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
-- The badge: unread (read_at IS NULL) of one user.
CREATE INDEX notifications_user_unread ON notifications (user_id, read_at, id);
-- The list: one user's, newest first.
CREATE INDEX notifications_user ON notifications (user_id, id);
