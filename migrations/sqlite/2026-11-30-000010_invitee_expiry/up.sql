-- The expiry beside the invitee's key: the header count of open invitations
-- is answered from the index alone, and the inbox skips expired rows
-- before reading them.
DROP INDEX invitations_invitee;
CREATE INDEX invitations_invitee ON invitations (invitee_user_id, status, id, expires_at);
