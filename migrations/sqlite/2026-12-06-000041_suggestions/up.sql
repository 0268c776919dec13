-- "Suggest someone": a member who may not invite asks the group's
-- member managers to invite someone; they approve (the invitation goes
-- out from the approver, crediting the suggester) or decline. A pending
-- suggestion lapses after 14 days (by date; marked 'expired' when the same
-- person is suggested again). One pending suggestion per (group, invitee).
CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    suggester_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The invitee as the suggester typed them: a username or an address.
    invitee TEXT NOT NULL,
    -- The invitee's lower-cased address (a username's account address).
    invitee_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- domain::SuggestionStatus: pending, approved, declined, expired.
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at TIMESTAMP,
    -- The invitation an approval sent.
    invitation_id BIGINT REFERENCES invitations (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX suggestions_one_pending ON suggestions (group_id, invitee_key) WHERE status = 'pending';
CREATE INDEX suggestions_group ON suggestions (group_id, status, id);
CREATE INDEX suggestions_suggester ON suggestions (suggester_id, id);
CREATE INDEX suggestions_decided_by ON suggestions (decided_by);
CREATE INDEX suggestions_invitation_id ON suggestions (invitation_id);
