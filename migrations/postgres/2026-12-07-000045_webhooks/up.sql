-- Webhooks of a community (/groups/{slug}/webhooks): each gets the events
-- it chose of its community and the managed communities below it, signed
-- with its secret (HMAC-SHA256; the secret is kept to sign, never shown
-- again after it is made).
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- Space-separated event names, e.g. "invitation.created membership.added"
    events TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_group ON webhooks (group_id);

-- The webhook outbox: one row per event and hook, written in the
-- transaction of the change it tells of, delivered by the worker one at a
-- time per hook in id order (a 'pending' row waits for the hook's older
-- pending ones), retried with back-off until 'delivered' or 'failed'.
-- "Redeliver" adds a row with the same delivery_key (receivers dedupe on it).
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    hook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    delivery_key TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    response_status INTEGER,
    response_ms INTEGER,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (hook_id, id);
-- Each hook's oldest pending delivery (the worker's claim): 'pending' is
-- written in the claim's text, so both planners use it.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (hook_id, id) WHERE state = 'pending';

-- `expiry_noted` is the expiry whose passing was recorded ("expired" in
-- the history, `invitation.expired` to the hooks) by the sweep beside the
-- reminders; the status stays 'pending' (the invitation can still be
-- extended or resent with the same link), so a moved expiry is told again
-- when it passes. The index holds only what the sweep still has to tell.
ALTER TABLE invitations ADD COLUMN expiry_noted TIMESTAMP;
CREATE INDEX invitations_expiry_untold ON invitations (expires_at)
    WHERE status = 'pending' AND (expiry_noted IS NULL OR expiry_noted <> expires_at);
