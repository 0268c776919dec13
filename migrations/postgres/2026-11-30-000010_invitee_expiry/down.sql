DROP INDEX invitations_invitee;
CREATE INDEX invitations_invitee ON invitations (invitee_user_id, status, id);
